import type { SessionUser } from "../../src/auth/session";
import { describeTrigger } from "../../src/workflows/draft";
import type { WorkflowRow } from "../../src/workflows/queries";
import { Field } from "../components/field";
import { Layout } from "../layout";
import { StatusBadge, when } from "./page";
import type { Notice } from "../../src/web/flash";

export function WorkflowsPage({ user, workflows, notice }: { user: SessionUser; workflows: WorkflowRow[]; notice?: Notice | null }) {
  return (
    <Layout title="Workflows" user={user} section="workflows" notice={notice}>
      <div class="page-head">
        <h1>Workflows</h1>
        <div class="buttons">
          <a href="/workflows/new" role="button">
            Create new workflow
          </a>
        </div>
      </div>
      <p class="muted">
        A workflow puts contacts into a static segment, or takes them out, when they do something on your site: buy, search, visit a page, submit a form, or any
        event you send.
      </p>
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Trigger</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Events matched
              </th>
              <th scope="col" class="num">
                Added
              </th>
              <th scope="col" class="num">
                Removed
              </th>
              <th scope="col">Last run</th>
              <th scope="col" class="num">
                Errors
              </th>
            </tr>
          </thead>
          <tbody>
            {workflows.length === 0 && (
              <tr>
                <td colspan={8} class="muted">
                  No workflows yet. <a href="/workflows/new">Create the first one</a>.
                </td>
              </tr>
            )}
            {workflows.map((w) => (
              <tr>
                <td class="card-title">
                  <a href={`/workflows/${w.id}`}>{w.name}</a>
                </td>
                <td data-label="Trigger">{describeTrigger(w.triggerKind, w.eventType)}</td>
                <td data-label="Status">
                  <StatusBadge status={w.status} />
                  {w.deactivatedReason && (
                    <small class="muted" title={w.deactivatedReason}>
                      {" "}
                      segment deleted
                    </small>
                  )}
                </td>
                <td class="num" data-label="Events matched">
                  {w.eventsMatched.toLocaleString("en")}
                </td>
                <td class="num" data-label="Added">
                  {w.contactsAdded.toLocaleString("en")}
                </td>
                <td class="num" data-label="Removed">
                  {w.contactsRemoved.toLocaleString("en")}
                </td>
                <td class="nowrap" data-label="Last run">
                  {when(w.lastRunAt)}
                </td>
                <td class="num" data-label="Errors">
                  {w.errorCount > 0 ? <strong>{w.errorCount.toLocaleString("en")}</strong> : "0"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

export function NewWorkflowPage({
  user,
  values = {},
  errors = {},
}: {
  user: SessionUser;
  values?: Record<string, string>;
  errors?: Record<string, string | undefined>;
}) {
  return (
    <Layout title="Create new workflow" user={user} section="workflows">
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/workflows">Workflows</a>
          </li>
          <li>New</li>
        </ul>
      </nav>
      <article class="narrow-card">
        <header>
          <h1>Create new workflow</h1>
          <p class="muted">Name it, then connect a trigger, conditions and actions from its Home node.</p>
        </header>
        <form method="post" action="/workflows">
          <Field label="Name" name="name" value={values.name} error={errors.name} required placeholder="e.g. Office furniture searchers" />
          <button type="submit">Create workflow</button>
        </form>
      </article>
    </Layout>
  );
}
