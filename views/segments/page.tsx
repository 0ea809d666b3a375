import type { SessionUser } from "../../src/auth/session";
import type { SegmentHistoryLine } from "../../src/segments/history";
import type { Segment } from "../../src/segments/queries";
import { hasRole } from "../../src/auth/roles";
import type { FieldErrors } from "../auth/pages";
import { formatDateTime, plural } from "../components/format";
import { SegmentHistoryTable } from "./history";
import { Layout } from "../layout";
import { SegmentFields } from "./form";
import type { Notice } from "../../src/web/flash";
import { SegmentSizeChart } from "./size-chart";
import type { ChartPeriod, SizePeriod } from "../../src/segments/size-history";

/** Title, counts and the two views of a segment (its settings, its contacts), shared by both pages. */
export function SegmentHead({ segment, current }: { segment: Segment; current: "edit" | "contacts" }) {
  return (
    <>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/segments">Segments</a>
          </li>
          <li>{segment.name}</li>
        </ul>
      </nav>
      <div class="page-head">
        <div>
          <h1>{segment.name}</h1>
          <p class="muted subtitle">
            <span class="badge">{segment.type === "dynamic" ? "Dynamic" : "Static"}</span>{" "}
            <span data-testid="segment-member-count">{plural(segment.memberCount, "contact")}</span> · last change {formatDateTime(segment.updatedAt)}
          </p>
        </div>
        <nav class="buttons tabs" aria-label="Segment">
          <a
            href={`/segments/${segment.id}`}
            role="button"
            class={current === "edit" ? "" : "secondary outline"}
            aria-current={current === "edit" ? "page" : undefined}
          >
            Edit
          </a>
          <a
            href={`/segments/${segment.id}/contacts`}
            role="button"
            class={current === "contacts" ? "" : "secondary outline"}
            aria-current={current === "contacts" ? "page" : undefined}
          >
            View contacts
          </a>
        </nav>
      </div>
    </>
  );
}

export function SegmentPage(props: {
  user: SessionUser;
  segment: Segment;
  history: { lines: SegmentHistoryLine[]; nextCursor: string | null };
  chart: { period: ChartPeriod; periods: SizePeriod[] };
  values?: Record<string, string>;
  errors?: FieldErrors;
  notice?: Notice | null;
  /** A dynamic segment's conditions in words: how they join ("all", "any") and one sentence per condition. */
  conditions?: ConditionSentences | null;
  /** Save as static segment's field values and errors. */
  copy?: { name: string; error?: string };
}) {
  const { user, segment, history, errors = {} } = props;
  const values = props.values ?? { name: segment.name, description: segment.description };
  const canWrite = hasRole(user.role, "editor");
  return (
    <Layout title={segment.name} user={user} section="contacts" notice={props.notice}>
      <SegmentHead segment={segment} current="edit" />
      {canWrite ? (
        <article>
          <header>
            <h2>Segment details</h2>
          </header>
          <form method="post" action={`/segments/${segment.id}`}>
            <label for="f-type-shown">
              Type
              <input
                id="f-type-shown"
                value={segment.type === "dynamic" ? "Dynamic segment" : "Static segment"}
                readonly
                aria-describedby="f-type-shown-hint"
              />
              <small id="f-type-shown-hint">
                {segment.type === "dynamic"
                  ? "Its members are the contacts its conditions match, kept current. The type cannot be changed."
                  : "Contacts are put in and taken out by hand, import, workflow or API; not by conditions."}
              </small>
            </label>
            <SegmentFields values={values} errors={errors} withType={false} />
            <div class="form-buttons">
              <button type="submit">Save</button>
              <a href={`/segments/${segment.id}/delete`} role="button" class="secondary outline danger">
                Delete segment
              </a>
            </div>
          </form>
        </article>
      ) : (
        <article>
          <dl class="fields">
            <dt>Type</dt>
            <dd>{segment.type === "dynamic" ? "Dynamic segment" : "Static segment"}</dd>
            <dt>Description</dt>
            <dd>{segment.description || <span class="muted">none</span>}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(segment.createdAt)}</dd>
          </dl>
        </article>
      )}
      {segment.type === "dynamic" && props.conditions && (
        <SegmentConditions segment={segment} conditions={props.conditions} canWrite={canWrite} copy={props.copy} />
      )}
      <SegmentSizeChart segmentId={segment.id} period={props.chart.period} periods={props.chart.periods} />
      <section id="history" aria-labelledby="history-title">
        <h2 id="history-title">Membership history</h2>
        <p class="muted">An import, a bulk change or a workflow run shows as one line; Undo takes back what it changed, except members changed again since.</p>
        <SegmentHistoryTable
          segmentId={segment.id}
          lines={history.lines}
          moreHref={history.nextCursor ? `/segments/${segment.id}?history=${encodeURIComponent(history.nextCursor)}#history` : null}
          canUndo={canWrite}
        />
      </section>
    </Layout>
  );
}

export interface ConditionSentences {
  join: "all" | "any";
  items: string[];
}

/** A dynamic segment's conditions as sentences, when its members were last brought up to date, and Save as static segment. */
export function SegmentConditions(props: { segment: Segment; conditions: ConditionSentences; canWrite: boolean; copy?: { name: string; error?: string } }) {
  const { segment, conditions, canWrite } = props;
  const copyName = props.copy?.name ?? `${segment.name} (copy)`;
  return (
    <article id="conditions" aria-labelledby="conditions-title">
      <header class="article-head">
        <h2 id="conditions-title">Conditions</h2>
        {canWrite && (
          <a href={`/segments/${segment.id}/conditions`} role="button" class="secondary outline narrow">
            Edit conditions
          </a>
        )}
      </header>
      {conditions.items.length === 0 ? (
        <p class="muted">No conditions: every contact is a member.</p>
      ) : (
        <>
          <p>Contacts for which {conditions.items.length === 1 ? "this holds" : conditions.join === "all" ? "all of these hold" : "any of these holds"}:</p>
          <ul data-testid="condition-sentences">
            {conditions.items.map((c) => (
              <li>{c}</li>
            ))}
          </ul>
        </>
      )}
      {segment.refreshError ? (
        <p class="notice error" role="alert">
          {segment.refreshError}
        </p>
      ) : (
        <p class="muted" data-testid="refreshed-at">
          {segment.refreshedAt
            ? `Members brought up to date ${formatDateTime(segment.refreshedAt)}; kept current within a minute of contacts and events changing.`
            : "Finding the members…"}
        </p>
      )}
      {canWrite && (
        <details class="save-as-static" open={props.copy?.error ? true : undefined}>
          <summary>Save as static segment</summary>
          <form method="post" action={`/segments/${segment.id}/save-as-static`}>
            <p class="muted">
              A new static segment with the {plural(segment.memberCount, "contact")} in {segment.name} now. It does not follow the conditions afterwards.
            </p>
            <label for="f-copy-name">
              Name of the static segment
              <input
                id="f-copy-name"
                name="name"
                value={copyName}
                required
                maxlength={200}
                aria-invalid={props.copy?.error ? "true" : undefined}
                aria-describedby={props.copy?.error ? "f-copy-name-error" : undefined}
              />
              {props.copy?.error && <small id="f-copy-name-error">{props.copy.error}</small>}
            </label>
            <button type="submit" class="secondary">
              Save as static segment
            </button>
          </form>
        </details>
      )}
    </article>
  );
}

export function DeleteSegmentPage({ user, segment, referredBy }: { user: SessionUser; segment: Segment; referredBy: { id: number; name: string }[] }) {
  return (
    <Layout title={`Delete ${segment.name}`} user={user} section="contacts">
      <article class="form-card">
        <header>
          <h1>Delete the segment {segment.name}?</h1>
        </header>
        <p>
          It holds <strong data-testid="delete-member-count">{plural(segment.memberCount, "contact")}</strong>. Deleting the segment removes these memberships;
          the contacts themselves stay in Contacts &gt; See all. This cannot be undone.
        </p>
        {referredBy.length > 0 && (
          <div class="notice warning" role="note" data-testid="referred-by">
            <p>
              {referredBy.length === 1
                ? "A dynamic segment uses it in its conditions. It keeps its members but is no longer brought up to date until you change its conditions:"
                : `${referredBy.length} dynamic segments use it in their conditions. They keep their members but are no longer brought up to date until you change their conditions:`}
            </p>
            <ul>
              {referredBy.map((r) => (
                <li>
                  <a href={`/segments/${r.id}`}>{r.name}</a>
                </li>
              ))}
            </ul>
          </div>
        )}
        <form method="post" action={`/segments/${segment.id}/delete`} class="form-buttons">
          <button type="submit" class="danger">
            Delete segment
          </button>
          <a href={`/segments/${segment.id}`} role="button" class="secondary outline">
            Keep it
          </a>
        </form>
      </article>
    </Layout>
  );
}
