// Workflow pages: the list, create, and the editor whose nodes are forms saved to the draft (htmx swaps them in
// place; without JavaScript each form posts and the page reloads), then Save, Activate and Deactivate.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { NotFoundPage } from "../../views/error";
import { NewWorkflowPage, WorkflowsPage } from "../../views/workflows/list";
import { ActionNode, ActionNodes, ConditionNode, ConditionNodes, HomeNode, TriggerNode } from "../../views/workflows/nodes";
import { EditorPartials, WorkflowPage } from "../../views/workflows/page";
import { listWorkflowDays } from "./daily-runs";
import type { WorkflowDraft } from "../db/schema";
import { listSegmentChoices } from "../segments/choices";
import { redirectWithNotice, takeFlash, type Notice } from "../web/flash";
import { isFragmentRequest, parseId, requireRole, type AppEnv } from "../web";
import { isConditionOperator } from "./conditions";
import { actionErrors, blankAction, blankCondition, conditionErrors, hasUnsavedChanges, triggerErrors, type NodeErrors } from "./draft";
import {
  activateWorkflow,
  activationProblem,
  createWorkflow,
  deactivateWorkflow,
  deleteWorkflow,
  getWorkflow,
  listSegmentOptions,
  listTriggerSegmentOptions,
  listWorkflowChanges,
  listWorkflowErrors,
  listWorkflows,
  renameWorkflow,
  saveWorkflow,
  updateDraft,
  WorkflowNameTakenError,
  type WorkflowRow,
} from "./queries";
import { isSegmentTrigger, isTriggerKind } from "./triggers";
import { readForm } from "../web/form";

type Ctx = Context<AppEnv>;

const nameSchema = z.string().trim().min(1, "Enter a name.").max(200, "Use at most 200 characters.");

async function loadWorkflow(c: Ctx): Promise<WorkflowRow | null> {
  const id = parseId(c.req.param("id"));
  return id ? getWorkflow(c.get("db"), c.get("actor").accountId, id) : null;
}

function notFound(c: Ctx) {
  return c.html(<NotFoundPage user={c.get("user")} />, 404);
}

/** The whole editor page, for plain form posts that failed validation (htmx gets the node alone). */
async function renderPage(
  c: Ctx,
  workflow: WorkflowRow,
  extra: { notice?: Notice | null; problems?: string[]; nodeErrors?: Record<string, NodeErrors> } = {},
  status: 200 | 422 = 200,
) {
  const db = c.get("db");
  const accountId = c.get("actor").accountId;
  const [segments, triggerSegments, errors, changes, days] = await Promise.all([
    listSegmentOptions(db, accountId),
    listTriggerSegmentOptions(db, accountId),
    listWorkflowErrors(db, accountId, workflow.id),
    listWorkflowChanges(db, accountId, workflow),
    listWorkflowDays(db, accountId, workflow.id),
  ]);
  return c.html(
    <WorkflowPage
      user={c.get("user")!}
      workflow={workflow}
      segments={segments}
      triggerSegments={triggerSegments}
      errors={errors}
      changes={changes}
      days={days}
      {...extra}
    />,
    status,
  );
}

/** After a node change: htmx gets the node (or list) and the partials that follow it; a plain post goes back to the page. */
async function nodeResponse(c: Ctx, workflow: WorkflowRow, node: (segments: { id: number; name: string }[]) => unknown, anchor: string) {
  if (!isFragmentRequest(c)) return c.redirect(`/workflows/${workflow.id}#${anchor}`, 303);
  const [segments, triggerSegments] = await Promise.all([
    listSegmentOptions(c.get("db"), c.get("actor").accountId),
    listTriggerSegmentOptions(c.get("db"), c.get("actor").accountId),
  ]);
  return c.html(
    <>
      {node(segments)}
      <EditorPartials workflow={workflow} segments={segments} triggerSegments={triggerSegments} />
    </>,
  );
}

async function nodeInvalid(c: Ctx, workflow: WorkflowRow, key: string, errors: NodeErrors, node: (segments: { id: number; name: string }[]) => unknown) {
  if (!isFragmentRequest(c)) return renderPage(c, workflow, { nodeErrors: { [key]: errors } }, 422);
  const segments = await listSegmentChoices(c.get("db"), c.get("actor").accountId, { staticOnly: true });
  return c.html(<>{node(segments)}</>, 422);
}

async function saveDraft(c: Ctx, workflow: WorkflowRow, draft: WorkflowDraft): Promise<WorkflowRow> {
  return (await updateDraft(c.get("db"), c.get("actor").accountId, workflow.id, draft)) ?? workflow;
}

function backWith(c: Ctx, id: number, notice: string) {
  return redirectWithNotice(c, `/workflows/${id}`, notice);
}

export const workflowRoutes = new Hono<AppEnv>()
  .use(requireRole("editor"))
  .get("/", async (c) => {
    const workflows = await listWorkflows(c.get("db"), c.get("actor").accountId);
    return c.html(<WorkflowsPage user={c.get("user")!} workflows={workflows} notice={await takeFlash(c)} />);
  })
  .get("/new", (c) => c.html(<NewWorkflowPage user={c.get("user")!} />))
  .post("/", async (c) => {
    const values = await readForm(c);
    const name = nameSchema.safeParse(values.name ?? "");
    if (!name.success) return c.html(<NewWorkflowPage user={c.get("user")!} values={values} errors={{ name: name.error.issues[0]!.message }} />, 422);
    try {
      const actor = c.get("actor");
      const workflow = await createWorkflow(c.get("db"), actor.accountId, { name: name.data, createdBy: actor.userId });
      return c.redirect(`/workflows/${workflow.id}`, 303);
    } catch (e) {
      if (e instanceof WorkflowNameTakenError) return c.html(<NewWorkflowPage user={c.get("user")!} values={values} errors={{ name: e.message }} />, 422);
      throw e;
    }
  })
  .get("/:id", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    return renderPage(c, workflow, { notice: await takeFlash(c) });
  })
  .post("/:id/home", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const values = await readForm(c);
    const name = nameSchema.safeParse(values.name ?? "");
    const invalid = (message: string) =>
      nodeInvalid(c, workflow, "home", { name: message }, () => <HomeNode workflowId={workflow.id} name={values.name ?? ""} errors={{ name: message }} />);
    if (!name.success) return invalid(name.error.issues[0]!.message);
    try {
      const renamed = (await renameWorkflow(c.get("db"), c.get("actor").accountId, workflow.id, name.data))!;
      return nodeResponse(c, renamed, () => <HomeNode workflowId={renamed.id} name={renamed.name} updated />, "node-home");
    } catch (e) {
      if (e instanceof WorkflowNameTakenError) return invalid(e.message);
      throw e;
    }
  })
  .post("/:id/trigger", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const values = await readForm(c);
    const trigger = isTriggerKind(values.trigger) ? values.trigger : null;
    const segmentTrigger = isSegmentTrigger(trigger);
    const triggerSegments = await listTriggerSegmentOptions(c.get("db"), c.get("actor").accountId);
    const draftPart = {
      trigger,
      customType: (values.customType ?? (trigger === "custom" ? workflow.draft.customType : "")).trim(),
      triggerSegmentId: segmentTrigger ? (values.segmentId !== undefined ? parseId(values.segmentId) : (workflow.draft.triggerSegmentId ?? null)) : null,
    };
    // Changing the select only redraws the node (a custom trigger needs its event name field); nothing is saved.
    if (c.req.query("preview") && isFragmentRequest(c))
      return c.html(<TriggerNode workflowId={workflow.id} draft={draftPart} triggerSegments={triggerSegments} pending />);
    const errors = triggerErrors(
      { trigger: values.trigger, customType: draftPart.customType, segmentId: draftPart.triggerSegmentId },
      new Set(triggerSegments.map((s) => s.id)),
    );
    if (Object.keys(errors).length > 0) {
      return nodeInvalid(c, workflow, "trigger", errors, () => (
        <TriggerNode workflowId={workflow.id} draft={draftPart} triggerSegments={triggerSegments} errors={errors} />
      ));
    }
    const saved = await saveDraft(c, workflow, {
      ...workflow.draft,
      trigger,
      customType: trigger === "custom" ? draftPart.customType : "",
      triggerSegmentId: draftPart.triggerSegmentId,
    });
    return nodeResponse(c, saved, () => <TriggerNode workflowId={saved.id} draft={saved.draft} triggerSegments={triggerSegments} updated />, "node-trigger");
  })
  .post("/:id/conditions", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const saved = await saveDraft(c, workflow, { ...workflow.draft, conditions: [...workflow.draft.conditions, blankCondition()] });
    return nodeResponse(c, saved, () => <ConditionNodes workflowId={saved.id} conditions={saved.draft.conditions} />, "conditions");
  })
  .post("/:id/conditions/:key", async (c) => {
    const workflow = await loadWorkflow(c);
    const index = workflow ? workflow.draft.conditions.findIndex((x) => x.key === c.req.param("key")) : -1;
    if (!workflow || index < 0) return notFound(c);
    const values = await readForm(c);
    const condition = {
      key: workflow.draft.conditions[index]!.key,
      path: (values.path ?? "").trim(),
      operator: isConditionOperator(values.operator) ? values.operator : "equals",
      value: (values.value ?? "").trim(),
    };
    const errors = conditionErrors({ ...condition, operator: values.operator });
    if (Object.keys(errors).length > 0) {
      return nodeInvalid(c, workflow, condition.key, errors, () => (
        <ConditionNode workflowId={workflow.id} condition={condition} index={index} errors={errors} />
      ));
    }
    const conditions = workflow.draft.conditions.map((x, i) => (i === index ? condition : x));
    const saved = await saveDraft(c, workflow, { ...workflow.draft, conditions });
    return nodeResponse(c, saved, () => <ConditionNode workflowId={saved.id} condition={condition} index={index} updated />, `node-${condition.key}`);
  })
  .post("/:id/conditions/:key/delete", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const saved = await saveDraft(c, workflow, { ...workflow.draft, conditions: workflow.draft.conditions.filter((x) => x.key !== c.req.param("key")) });
    return nodeResponse(c, saved, () => <ConditionNodes workflowId={saved.id} conditions={saved.draft.conditions} />, "conditions");
  })
  .post("/:id/actions", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const saved = await saveDraft(c, workflow, { ...workflow.draft, actions: [...workflow.draft.actions, blankAction()] });
    return nodeResponse(c, saved, (segments) => <ActionNodes workflowId={saved.id} actions={saved.draft.actions} segments={segments} />, "actions");
  })
  .post("/:id/actions/:key", async (c) => {
    const workflow = await loadWorkflow(c);
    const index = workflow ? workflow.draft.actions.findIndex((x) => x.key === c.req.param("key")) : -1;
    if (!workflow || index < 0) return notFound(c);
    const values = await readForm(c);
    const segments = await listSegmentChoices(c.get("db"), c.get("actor").accountId, { staticOnly: true });
    const action = {
      key: workflow.draft.actions[index]!.key,
      kind: values.kind === "remove" ? ("remove" as const) : ("add" as const),
      segmentId: parseId(values.segmentId),
    };
    const errors = actionErrors({ kind: values.kind, segmentId: action.segmentId }, new Set(segments.map((s) => s.id)));
    if (Object.keys(errors).length > 0) {
      return nodeInvalid(c, workflow, action.key, errors, (segs) => (
        <ActionNode workflowId={workflow.id} action={action} index={index} segments={segs} errors={errors} />
      ));
    }
    const actions = workflow.draft.actions.map((x, i) => (i === index ? action : x));
    const saved = await saveDraft(c, workflow, { ...workflow.draft, actions });
    return nodeResponse(c, saved, (segs) => <ActionNode workflowId={saved.id} action={action} index={index} segments={segs} updated />, `node-${action.key}`);
  })
  .post("/:id/actions/:key/delete", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const saved = await saveDraft(c, workflow, { ...workflow.draft, actions: workflow.draft.actions.filter((x) => x.key !== c.req.param("key")) });
    return nodeResponse(c, saved, (segments) => <ActionNodes workflowId={saved.id} actions={saved.draft.actions} segments={segments} />, "actions");
  })
  .post("/:id/save", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const outcome = await saveWorkflow(c.get("db"), c.get("actor").accountId, workflow);
    if (!outcome.ok) return renderPage(c, workflow, { problems: outcome.problems, nodeErrors: outcome.nodeErrors }, 422);
    return backWith(
      c,
      workflow.id,
      outcome.workflow.status === "active"
        ? "Saved. The active workflow uses these nodes from the next event on."
        : "Saved. Activate it to start acting on events.",
    );
  })
  .post("/:id/activate", async (c) => {
    let workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    // Activate runs what the editor shows: an unsaved draft is saved first, and what it lacks is said on its node.
    const saving = !workflow.savedAt || hasUnsavedChanges(workflow.draft, workflow);
    if (saving) {
      const outcome = await saveWorkflow(db, accountId, workflow);
      if (!outcome.ok) return renderPage(c, workflow, { problems: outcome.problems, nodeErrors: outcome.nodeErrors }, 422);
      workflow = outcome.workflow;
    }
    const problem = await activationProblem(db, accountId, workflow);
    if (problem) return renderPage(c, workflow, { problems: [problem] }, 422);
    await activateWorkflow(db, accountId, workflow.id);
    const from =
      workflow.triggerSegmentId !== null
        ? `contacts that ${workflow.triggerKind === "segment_left" ? "leave" : "join"} the segment from now on`
        : "events received from now on";
    return backWith(c, workflow.id, `${saving ? "Saved and activated" : "Activated"}: it acts on ${from}.`);
  })
  .post("/:id/deactivate", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    await deactivateWorkflow(c.get("db"), c.get("actor").accountId, workflow.id);
    return backWith(c, workflow.id, "Deactivated: events are still stored, but this workflow no longer acts on them.");
  })
  .post("/:id/delete", async (c) => {
    const workflow = await loadWorkflow(c);
    if (!workflow) return notFound(c);
    await deleteWorkflow(c.get("db"), c.get("actor").accountId, workflow.id);
    return redirectWithNotice(c, "/workflows", `Workflow "${workflow.name}" was deleted.`);
  });
