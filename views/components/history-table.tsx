import type { MembershipEvent } from "../../src/segments/history";
import { formatDateTime } from "./format";
import { SourceText } from "./source";

/** Membership history: when, entered or left, which segment or contact, and what did it. */
export function HistoryTable({
  events,
  show,
  moreHref,
  empty,
}: {
  events: MembershipEvent[];
  show: "segment" | "contact";
  moreHref?: string | null;
  empty: string;
}) {
  if (events.length === 0) return <p class="empty-state">{empty}</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="history-table cards">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">{show === "segment" ? "Segment" : "Contact"}</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr>
                <td data-label="When">
                  <time datetime={e.at.toISOString()}>{formatDateTime(e.at)}</time>
                </td>
                <td data-label="Change">
                  <span class={`badge ${e.action}`}>{e.action === "added" ? "Added" : "Removed"}</span>
                </td>
                <td class="card-title">
                  {show === "segment" ? (
                    <a href={`/segments/${e.segmentId}`}>{e.segmentName}</a>
                  ) : e.contactEmail ? (
                    <a href={`/contacts/${e.contactId}`}>{e.contactEmail}</a>
                  ) : (
                    <span class="muted">deleted contact #{e.contactId}</span>
                  )}
                </td>
                <td data-label="By">
                  <SourceText {...e} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {moreHref && (
        <p class="pager">
          <a href={moreHref} role="button" class="secondary outline">
            Older entries
          </a>
        </p>
      )}
    </>
  );
}
