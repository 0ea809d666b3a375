import type { SessionUser } from "../../src/auth/session";
import type { WorkflowChange, WorkflowRow } from "../../src/workflows/queries";
import { hasUnsavedChanges, type NodeErrors } from "../../src/workflows/draft";
import type { WorkflowDay } from "../../src/workflows/daily-runs";
import { Layout } from "../layout";
import { WorkflowRunsChart } from "./runs-chart";
import { Diagram, PathSuggestions } from "./diagram";
import { ActionNodes, ConditionNodes, HomeNode, TriggerNode, type SegmentOption } from "./nodes";
import type { Notice } from "../../src/web/flash";

export interface WorkflowErrorRow {
  id: number;
  eventId: number | null;
  message: string;
  at: Date;
}

export function when(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 19).replace("T", " ") + " UTC" : "never";
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${status === "active" ? "active" : "inactive"}`}>{status}</span>;
}

/** "Unsaved changes" until Save; an htmx partial keeps it current as nodes change. */
export function SaveState({ workflow }: { workflow: WorkflowRow }) {
  const dirty = hasUnsavedChanges(workflow.draft, workflow);
  return (
    <div id="save-state">
      {dirty && (
        <p class="notice warning" role="status">
          {workflow.savedAt ? "Unsaved changes: the workflow runs as last saved until you press Save." : "Not saved yet: set the nodes, then press Save."}
        </p>
      )}
    </div>
  );
}

/** Fragments that follow any node change: the diagram, the save state and the property suggestions. */
export function EditorPartials({
  workflow,
  segments,
  triggerSegments,
}: {
  workflow: WorkflowRow;
  segments: SegmentOption[];
  triggerSegments?: SegmentOption[];
}) {
  return (
    <>
      <hx-partial hx-target="#workflow-diagram" hx-swap="outerHTML">
        <Diagram name={workflow.name} draft={workflow.draft} segments={segments} triggerSegments={triggerSegments} />
      </hx-partial>
      <hx-partial hx-target="#save-state" hx-swap="outerHTML">
        <SaveState workflow={workflow} />
      </hx-partial>
      <hx-partial hx-target="#wf-paths" hx-swap="outerHTML">
        <PathSuggestions draft={workflow.draft} />
      </hx-partial>
    </>
  );
}

export function Runs({
  workflow,
  errors,
  changes,
  days,
}: {
  workflow: WorkflowRow;
  errors: WorkflowErrorRow[];
  changes: WorkflowChange[];
  days: WorkflowDay[];
}) {
  return (
    <section id="runs" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <dl class="wf-stats">
        <div>
          <dt>Events matched</dt>
          <dd data-testid="events-matched">{workflow.eventsMatched.toLocaleString("en")}</dd>
        </div>
        <div>
          <dt>Contacts added</dt>
          <dd data-testid="contacts-added">{workflow.contactsAdded.toLocaleString("en")}</dd>
        </div>
        <div>
          <dt>Contacts removed</dt>
          <dd data-testid="contacts-removed">{workflow.contactsRemoved.toLocaleString("en")}</dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd>{when(workflow.lastRunAt)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd data-testid="error-count">{workflow.errorCount.toLocaleString("en")}</dd>
        </div>
      </dl>
      <p class="muted">
        {workflow.status === "active"
          ? `Active since ${when(workflow.activatedAt)}: it acts on events received from then on.`
          : "Inactive: events are stored but this workflow does not act on them."}
      </p>
      <WorkflowRunsChart days={days} />
      {changes.length > 0 && (
        <>
          <h3>Recent changes</h3>
          <div class="table-wrap">
            <table class="cards">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Contact</th>
                  <th scope="col">Change</th>
                  <th scope="col">Recorded as</th>
                </tr>
              </thead>
              <tbody>
                {changes.map((ch) => (
                  <tr>
                    <td class="nowrap" data-label="When">
                      {when(ch.at)}
                    </td>
                    <td class="card-title">
                      {ch.contactEmail ? <a href={`/contacts/${ch.contactId}`}>{ch.contactEmail}</a> : <span class="muted">deleted contact</span>}
                    </td>
                    <td data-label="Change">
                      {ch.action === "added" ? "Added to" : "Removed from"} {ch.segmentName}
                    </td>
                    <td data-label="Recorded as">{ch.sourceLabel}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {errors.length > 0 && (
        <>
          <h3>Recent errors</h3>
          <div class="table-wrap">
            <table class="cards">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Event</th>
                  <th scope="col">What went wrong</th>
                </tr>
              </thead>
              <tbody>
                {errors.map((e) => (
                  <tr>
                    <td class="nowrap" data-label="When">
                      {when(e.at)}
                    </td>
                    <td data-label="Event">{e.eventId ? `#${e.eventId}` : "—"}</td>
                    <td class="card-title">{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

export interface WorkflowPageProps {
  user: SessionUser;
  workflow: WorkflowRow;
  segments: SegmentOption[];
  /** Every segment, static and dynamic, for a segment trigger. */
  triggerSegments?: SegmentOption[];
  errors: WorkflowErrorRow[];
  changes: WorkflowChange[];
  days: WorkflowDay[];
  notice?: Notice | null;
  problems?: string[];
  nodeErrors?: Record<string, NodeErrors>;
}

export function WorkflowPage(props: WorkflowPageProps) {
  const { user, workflow, segments, errors, changes, days, notice, problems = [], nodeErrors = {} } = props;
  const id = workflow.id;
  const draft = workflow.draft;
  return (
    <Layout title={workflow.name} user={user} section="workflows" notice={notice}>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/workflows">Workflows</a>
          </li>
          <li>{workflow.name}</li>
        </ul>
      </nav>
      <div class="page-head">
        <h1>
          {workflow.name} <StatusBadge status={workflow.status} />
        </h1>
        <div class="buttons">
          <form method="post" action={`/workflows/${id}/save`} data-flush-nodes>
            <button type="submit">Save</button>
          </form>
          {workflow.status === "active" ? (
            <form method="post" action={`/workflows/${id}/deactivate`}>
              <button type="submit" class="secondary outline">
                Deactivate
              </button>
            </form>
          ) : (
            <form method="post" action={`/workflows/${id}/activate`} data-flush-nodes>
              <button type="submit" class="secondary">
                Activate
              </button>
            </form>
          )}
        </div>
      </div>
      {problems.length > 0 && (
        <div class="notice error" role="alert">
          <strong>Fix these first:</strong>
          <ul>
            {problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {workflow.deactivatedReason && (
        <p class="notice warning" role="alert">
          {workflow.deactivatedReason}
        </p>
      )}
      <SaveState workflow={workflow} />
      <div class="wf-editor">
        <div class="wf-diagram-col">
          <h2 class="wf-col-title">Diagram</h2>
          <Diagram name={workflow.name} draft={draft} segments={segments} triggerSegments={props.triggerSegments} />
        </div>
        <div class="wf-nodes-col">
          <h2 class="wf-col-title">Nodes</h2>
          <PathSuggestions draft={draft} />
          <HomeNode workflowId={id} name={workflow.name} errors={nodeErrors.home} />
          <TriggerNode workflowId={id} draft={draft} triggerSegments={props.triggerSegments} errors={nodeErrors.trigger} />
          <h3 class="wf-group-title">
            Conditions <small class="muted">all must hold</small>
          </h3>
          <div id="conditions">
            <ConditionNodes workflowId={id} conditions={draft.conditions} nodeErrors={nodeErrors} />
          </div>
          <form
            method="post"
            action={`/workflows/${id}/conditions`}
            hx-post={`/workflows/${id}/conditions`}
            hx-target="#conditions"
            hx-swap="innerHTML"
            class="wf-add"
          >
            <button type="submit" class="outline">
              Add condition
            </button>
          </form>
          <h3 class="wf-group-title">Actions</h3>
          <div id="actions">
            <ActionNodes workflowId={id} actions={draft.actions} segments={segments} nodeErrors={nodeErrors} />
          </div>
          <form method="post" action={`/workflows/${id}/actions`} hx-post={`/workflows/${id}/actions`} hx-target="#actions" hx-swap="innerHTML" class="wf-add">
            <button type="submit" class="outline">
              Add action
            </button>
          </form>
        </div>
      </div>
      <Runs workflow={workflow} errors={errors} changes={changes} days={days} />
      <details class="wf-danger">
        <summary>Delete this workflow</summary>
        <form method="post" action={`/workflows/${id}/delete`}>
          <p class="muted">Its run counters and error log go with it. Membership changes it made stay, with their history.</p>
          <button type="submit" class="secondary outline">
            Delete workflow
          </button>
        </form>
      </details>
    </Layout>
  );
}
