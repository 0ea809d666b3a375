import type { WorkflowDraft } from "../../src/db/schema";
import { OPERATOR_LABELS, CONDITION_OPERATORS } from "../../src/workflows/conditions";
import { ACTION_LABELS, type DraftAction, type DraftCondition, type NodeErrors } from "../../src/workflows/draft";
import { isSegmentTrigger, TRIGGERS } from "../../src/workflows/triggers";

export interface SegmentOption {
  id: number;
  name: string;
}

/** Attributes that make a form a node swapped in place by htmx, and a plain form without JavaScript. */
function nodeForm(url: string) {
  return { method: "post" as const, action: url, "hx-post": url, "hx-target": "this", "hx-swap": "outerHTML" };
}

function err(errors: NodeErrors | undefined, field: string, id: string) {
  const message = errors?.[field];
  return message ? (
    <small id={`${id}-error`} class="field-error">
      {message}
    </small>
  ) : null;
}

function invalid(errors: NodeErrors | undefined, field: string, id: string) {
  return errors?.[field] ? { "aria-invalid": "true" as const, "aria-describedby": `${id}-error` } : {};
}

/** A node's buttons: Update, Remove for nodes that can go (hx-posted, swapping `target`), and "Updated" once saved. */
function NodeButtons({ updated, remove }: { updated?: boolean; remove?: { url: string; target: string; what: string } }) {
  return (
    <footer class="wf-node-buttons">
      <button type="submit" class="secondary">
        Update
      </button>
      {remove && (
        <button
          type="submit"
          class="secondary outline"
          formaction={remove.url}
          hx-post={remove.url}
          hx-target={remove.target}
          hx-swap="innerHTML"
          aria-label={`Remove ${remove.what}`}
        >
          Remove
        </button>
      )}
      {updated && (
        <small class="wf-node-status" role="status">
          Updated
        </small>
      )}
    </footer>
  );
}

export function HomeNode({ workflowId, name, errors, updated }: { workflowId: number; name: string; errors?: NodeErrors; updated?: boolean }) {
  const id = "wf-name";
  return (
    <form id="node-home" class="wf-node wf-node-home" aria-label="Home" {...nodeForm(`/workflows/${workflowId}/home`)}>
      <header>
        <span class="wf-node-kind">Home</span>
        <span class="muted">where the workflow starts</span>
      </header>
      <label for={id}>
        Name
        <input id={id} name="name" value={name} required maxlength={200} {...invalid(errors, "name", id)} />
        {err(errors, "name", id)}
      </label>
      <NodeButtons updated={updated} />
    </form>
  );
}

/** `pending`: a choice shown but not yet Updated (the redraw after the select changed): Save sends it first. */
/** `triggerSegments`: every segment of the account (static and dynamic), for "When entering/leaving a segment". */
export function TriggerNode({
  workflowId,
  draft,
  triggerSegments = [],
  errors,
  updated,
  pending,
}: {
  workflowId: number;
  draft: Pick<WorkflowDraft, "trigger" | "customType" | "triggerSegmentId">;
  triggerSegments?: SegmentOption[];
  errors?: NodeErrors;
  updated?: boolean;
  pending?: boolean;
}) {
  const url = `/workflows/${workflowId}/trigger`;
  const segmentTrigger = isSegmentTrigger(draft.trigger);
  const segmentId = draft.triggerSegmentId ?? null;
  const known = segmentId === null || triggerSegments.some((s) => s.id === segmentId);
  return (
    <form id="node-trigger" class="wf-node wf-node-trigger" aria-label="Trigger" {...nodeForm(url)} data-edited={pending ? "1" : undefined}>
      <header>
        <span class="wf-node-kind">Trigger</span>
        <span class="muted">{segmentTrigger ? "a membership change starts the workflow" : "one event type starts the workflow"}</span>
      </header>
      <div>
        <label for="wf-trigger">When</label>
        <select
          id="wf-trigger"
          name="trigger"
          hx-post={`${url}?preview=1`}
          hx-trigger="change"
          hx-target="closest form"
          hx-swap="outerHTML"
          {...invalid(errors, "trigger", "wf-trigger")}
        >
          <option value="" selected={!draft.trigger} disabled>
            Choose a trigger…
          </option>
          {TRIGGERS.map((t) => (
            <option value={t.kind} selected={draft.trigger === t.kind}>
              {t.label}
            </option>
          ))}
        </select>
        {err(errors, "trigger", "wf-trigger")}
      </div>
      {draft.trigger === "custom" && (
        <label for="wf-custom-type">
          Event name
          <input
            id="wf-custom-type"
            name="customType"
            value={draft.customType}
            placeholder="e.g. newsletter_signup"
            {...invalid(errors, "customType", "wf-custom-type")}
          />
          {errors?.customType ? err(errors, "customType", "wf-custom-type") : <small>The type your site sends, like trial.started.</small>}
        </label>
      )}
      {segmentTrigger && (
        <div>
          <label for="wf-trigger-segment">Segment</label>
          <select id="wf-trigger-segment" name="segmentId" {...invalid(errors, "segmentId", "wf-trigger-segment")}>
            <option value="" selected={segmentId === null}>
              Choose a segment…
            </option>
            {!known && (
              <option value={String(segmentId)} selected>
                Deleted segment #{segmentId}
              </option>
            )}
            {triggerSegments.map((s) => (
              <option value={String(s.id)} selected={segmentId === s.id}>
                {s.name}
              </option>
            ))}
          </select>
          {errors?.segmentId ? (
            err(errors, "segmentId", "wf-trigger-segment")
          ) : (
            <small>
              {draft.trigger === "segment_left" ? "Runs for each contact that leaves it" : "Runs for each contact that joins it"}, however the change is made
              (by hand, import, API, workflow or a dynamic segment's conditions).
            </small>
          )}
        </div>
      )}
      <NodeButtons updated={updated} />
    </form>
  );
}

export function ConditionNode({
  workflowId,
  condition,
  index,
  errors,
  updated,
}: {
  workflowId: number;
  condition: DraftCondition;
  index: number;
  errors?: NodeErrors;
  updated?: boolean;
}) {
  const url = `/workflows/${workflowId}/conditions/${condition.key}`;
  const id = (f: string) => `wf-c-${condition.key}-${f}`;
  return (
    <form id={`node-${condition.key}`} class="wf-node wf-node-condition" aria-label={`Condition ${index + 1}`} {...nodeForm(url)}>
      <header>
        <span class="wf-node-kind">Condition {index + 1}</span>
        <span class="muted">on the event's properties</span>
      </header>
      <div class="wf-fields">
        <label for={id("path")}>
          Property
          <input
            id={id("path")}
            name="path"
            value={condition.path}
            list="wf-paths"
            placeholder="e.g. product.category"
            autocomplete="off"
            {...invalid(errors, "path", id("path"))}
          />
          {err(errors, "path", id("path"))}
        </label>
        <div>
          <label for={id("operator")}>Comparison</label>
          <select id={id("operator")} name="operator" {...invalid(errors, "operator", id("operator"))}>
            {CONDITION_OPERATORS.map((op) => (
              <option value={op} selected={condition.operator === op}>
                {OPERATOR_LABELS[op]}
              </option>
            ))}
          </select>
          {err(errors, "operator", id("operator"))}
        </div>
        <label for={id("value")}>
          Value
          <input
            id={id("value")}
            name="value"
            value={condition.value}
            placeholder={condition.operator === "in_list" ? "a, b, c" : ""}
            {...invalid(errors, "value", id("value"))}
          />
          {err(errors, "value", id("value"))}
        </label>
      </div>
      <NodeButtons updated={updated} remove={{ url: `${url}/delete`, target: "#conditions", what: `condition ${index + 1}` }} />
    </form>
  );
}

export function ActionNode({
  workflowId,
  action,
  index,
  segments,
  errors,
  updated,
}: {
  workflowId: number;
  action: DraftAction;
  index: number;
  segments: SegmentOption[];
  errors?: NodeErrors;
  updated?: boolean;
}) {
  const url = `/workflows/${workflowId}/actions/${action.key}`;
  const id = (f: string) => `wf-a-${action.key}-${f}`;
  const known = action.segmentId === null || segments.some((s) => s.id === action.segmentId);
  return (
    <form id={`node-${action.key}`} class="wf-node wf-node-action" aria-label={`Action ${index + 1}`} {...nodeForm(url)}>
      <header>
        <span class="wf-node-kind">Action {index + 1}</span>
        <span class="muted">what happens to the contact</span>
      </header>
      <div class="wf-fields">
        <div>
          <label for={id("kind")}>Action</label>
          <select id={id("kind")} name="kind" {...invalid(errors, "kind", id("kind"))}>
            {(["add", "remove"] as const).map((k) => (
              <option value={k} selected={action.kind === k}>
                {ACTION_LABELS[k]}
              </option>
            ))}
          </select>
          {err(errors, "kind", id("kind"))}
        </div>
        <div>
          <label for={id("segment")}>Segment</label>
          <select id={id("segment")} name="segmentId" {...invalid(errors, "segmentId", id("segment"))}>
            <option value="" selected={action.segmentId === null}>
              Choose a static segment…
            </option>
            {!known && (
              <option value={String(action.segmentId)} selected>
                Deleted segment #{action.segmentId}
              </option>
            )}
            {segments.map((s) => (
              <option value={String(s.id)} selected={action.segmentId === s.id}>
                {s.name}
              </option>
            ))}
          </select>
          {errors?.segmentId
            ? err(errors, "segmentId", id("segment"))
            : segments.length === 0 && (
                <small>
                  No segments yet: <a href="/segments">create one</a> first.
                </small>
              )}
        </div>
      </div>
      <NodeButtons updated={updated} remove={{ url: `${url}/delete`, target: "#actions", what: `action ${index + 1}` }} />
    </form>
  );
}

export function ConditionNodes({
  workflowId,
  conditions,
  nodeErrors = {},
}: {
  workflowId: number;
  conditions: DraftCondition[];
  nodeErrors?: Record<string, NodeErrors>;
}) {
  return (
    <>
      {conditions.length === 0 && <p class="muted wf-empty">No conditions: the workflow runs on every event of its trigger.</p>}
      {conditions.map((c, i) => (
        <ConditionNode workflowId={workflowId} condition={c} index={i} errors={nodeErrors[c.key]} />
      ))}
    </>
  );
}

export function ActionNodes({
  workflowId,
  actions,
  segments,
  nodeErrors = {},
}: {
  workflowId: number;
  actions: DraftAction[];
  segments: SegmentOption[];
  nodeErrors?: Record<string, NodeErrors>;
}) {
  return (
    <>
      {actions.length === 0 && <p class="muted wf-empty">No actions yet: add one to put contacts into a segment or take them out.</p>}
      {actions.map((a, i) => (
        <ActionNode workflowId={workflowId} action={a} index={i} segments={segments} errors={nodeErrors[a.key]} />
      ))}
    </>
  );
}
