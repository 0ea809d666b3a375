import type { SegmentHistoryLine } from "../../src/segments/history";
import { whyNotUndoable } from "../../src/segments/change-sets";
import { formatCount, formatDateTime, plural, sourceHref } from "../components/format";
import { SourceText } from "../components/source";

/** "3,120 joined · 40 left", or "no change". */
function counts(cs: { joined: number; left: number; skipped: number }): string {
  const parts = [];
  if (cs.joined > 0) parts.push(`${formatCount(cs.joined)} joined`);
  if (cs.left > 0) parts.push(`${formatCount(cs.left)} left`);
  if (cs.skipped > 0) parts.push(`${formatCount(cs.skipped)} skipped`);
  return parts.length > 0 ? parts.join(" · ") : "no change";
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A segment's membership history: entries made one at a time, and each change set (an import, a bulk change, a
 * workflow run, an undo) as one line with its counts and, while it can be undone, an Undo button.
 */
export function SegmentHistoryTable(props: { segmentId: number; lines: SegmentHistoryLine[]; moreHref: string | null; canUndo: boolean }) {
  const { lines } = props;
  if (lines.length === 0) return <p class="empty-state">No contact has entered or left this segment yet.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="history-table segment-history cards">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">Contact or change</th>
              <th scope="col">By</th>
              <th scope="col">
                <span class="visually-hidden">Undo</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {lines.map((line) =>
              line.type === "entry" ? <EntryRow line={line} /> : <SetRow line={line} segmentId={props.segmentId} canUndo={props.canUndo} />,
            )}
          </tbody>
        </table>
      </div>
      {props.moreHref && (
        <p class="pager">
          <a href={props.moreHref} role="button" class="secondary outline">
            Older entries
          </a>
        </p>
      )}
    </>
  );
}

function EntryRow({ line }: { line: Extract<SegmentHistoryLine, { type: "entry" }> }) {
  const e = line.event;
  return (
    <tr>
      <td data-label="When">
        <time datetime={e.at.toISOString()}>{formatDateTime(e.at)}</time>
      </td>
      <td data-label="Change">
        <span class={`badge ${e.action}`}>{e.action === "added" ? "Added" : "Removed"}</span>
      </td>
      <td class="card-title">
        {e.contactEmail ? <a href={`/contacts/${e.contactId}`}>{e.contactEmail}</a> : <span class="muted">deleted contact #{e.contactId}</span>}
      </td>
      <td data-label="By">
        <SourceText {...e} />
      </td>
      <td class="actions"></td>
    </tr>
  );
}

function SetRow({ line, segmentId, canUndo }: { line: Extract<SegmentHistoryLine, { type: "set" }>; segmentId: number; canUndo: boolean }) {
  const cs = line.changeSet;
  const href = cs.kind === "import" || cs.kind === "workflow" ? sourceHref(cs) : null;
  const name = capitalise(cs.label);
  const refusal = whyNotUndoable(cs);
  return (
    <tr data-change-set={String(cs.id)}>
      <td data-label="When">
        <time datetime={cs.createdAt.toISOString()}>{formatDateTime(cs.createdAt)}</time>
      </td>
      <td data-label="Change">
        <span class="badge change-set">{counts(cs)}</span>
      </td>
      <td class="card-title">{href ? <a href={href}>{name}</a> : name}</td>
      <td data-label="By">{cs.createdByLabel}</td>
      <td class="actions">
        {line.undoneByLabel !== null ? (
          <span class="muted">Undone by {line.undoneByLabel}</span>
        ) : canUndo && refusal === null ? (
          <form
            method="post"
            action={`/segments/${segmentId}/change-sets/${cs.id}/undo`}
            class="inline-form"
            data-confirm={`Undo ${cs.label}: ${plural(cs.joined, "member")} leave and ${formatCount(cs.left)} come back?`}
          >
            <button type="submit" class="secondary outline" aria-label={`Undo ${cs.label}`}>
              Undo
            </button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}
