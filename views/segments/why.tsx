import type { SessionUser } from "../../src/auth/session";
import type { ExplainedNode, Explanation } from "../../src/conditions/explain";
import type { Segment } from "../../src/segments/queries";
import { formatDateTime } from "../components/format";
import { Layout } from "../layout";

/** The page that explains why a contact is in a dynamic segment. */
export function whyHref(segmentId: number, contactId: number): string {
  return `/segments/${segmentId}/why/${contactId}`;
}

function Held({ held }: { held: boolean }) {
  return held ? <span class="badge active">held</span> : <span class="badge inactive">did not hold</span>;
}

function shown(value: unknown): string {
  if (value === null || value === undefined || value === "") return "empty";
  if (value instanceof Date) return formatDateTime(value);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) return formatDateTime(new Date(value));
  if (typeof value === "boolean") return value ? "yes" : "no";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** One condition with whether it held and what decided it: the value, the membership, the matching events. */
function ExplainedItem({ node }: { node: ExplainedNode }) {
  if (node.kind === "group") {
    return (
      <li>
        <Held held={node.held} /> {node.group === "all" ? "All of these:" : "Any of these:"}
        <ul class="why-list">
          {node.items.map((n) => (
            <ExplainedItem node={n} />
          ))}
        </ul>
      </li>
    );
  }
  return (
    <li>
      <Held held={node.held} /> <span>{node.description}</span>
      {node.kind === "field" && (
        <div class="muted">
          Its value: <strong>{shown(node.value)}</strong>
        </div>
      )}
      {node.kind === "segment" && (
        <div class="muted">
          {node.member
            ? `In ${node.segmentName ?? "the segment"} since ${node.joinedAt ? formatDateTime(node.joinedAt) : "an unknown date"}.`
            : `Not in ${node.segmentName ?? "the segment (deleted)"}.`}
        </div>
      )}
      {node.kind === "event" && (
        <div>
          <div class="muted">
            {node.count === 0
              ? "No matching event."
              : node.count === 1
                ? "1 matching event:"
                : `${node.count} matching events${node.count > node.events.length ? `, the newest ${node.events.length}` : ""}:`}
          </div>
          {node.events.length > 0 && (
            <ul class="why-events">
              {node.events.map((e) => (
                <li>
                  <strong>{e.type}</strong> on {formatDateTime(e.occurredAt)}
                  {e.summary && <span class="muted"> · {e.summary}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </li>
  );
}

/** The explanation itself: a fragment the page includes and a member row's disclosure loads. */
export function WhyExplanation({ segment, email, explanation, member }: { segment: Segment; email: string; explanation: Explanation; member: boolean }) {
  return (
    <section class="why" aria-label={`Why ${email} is in ${segment.name}`}>
      <p>
        {member ? (
          <>
            <strong>{email}</strong> is in <strong>{segment.name}</strong> because its conditions hold:
          </>
        ) : (
          <>
            <strong>{email}</strong> is not in <strong>{segment.name}</strong>
            {explanation.held ? " yet: its conditions hold now, and the next refresh adds it." : ": its conditions do not all hold."}
          </>
        )}
      </p>
      <ul class="why-list">
        <ExplainedItem node={explanation} />
      </ul>
    </section>
  );
}

export function WhyPage(props: { user: SessionUser; segment: Segment; contact: { id: number; email: string }; explanation: Explanation; member: boolean }) {
  const { user, segment, contact } = props;
  return (
    <Layout title={`Why ${contact.email} is in ${segment.name}`} user={user} section="contacts">
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/segments">Segments</a>
          </li>
          <li>
            <a href={`/segments/${segment.id}/contacts`}>{segment.name}</a>
          </li>
        </ul>
      </nav>
      <h1>
        Why is {contact.email} in {segment.name}?
      </h1>
      <article>
        <WhyExplanation segment={segment} email={contact.email} explanation={props.explanation} member={props.member} />
        <footer>
          <a href={`/contacts/${contact.id}`}>Open the contact</a> · <a href={`/segments/${segment.id}/contacts`}>Back to the members</a>
        </footer>
      </article>
    </Layout>
  );
}
