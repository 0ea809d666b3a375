import type { ImportMode } from "../../src/db/schema";
import type { ImportCounts, ImportExamples, ImportView } from "../../src/imports/queries";
import { formatCount, OutcomeRow } from "./parts";

export const MODE_LABELS: Record<ImportMode, string> = {
  add: "Add to segment",
  remove: "Remove from segment",
  replace: "Replace the segment's members",
};

type Counts = Partial<ImportCounts> & { examples?: ImportExamples };

function Examples({ title, emails, total }: { title: string; emails: string[] | undefined; total: number | undefined }) {
  if (!emails || emails.length === 0) return null;
  return (
    <details class="examples">
      <summary>
        {title} ({emails.length < (total ?? 0) ? `${formatCount(emails.length)} of ${formatCount(total)}` : formatCount(emails.length)})
      </summary>
      <ul>
        {emails.map((e) => (
          <li>{e}</li>
        ))}
      </ul>
    </details>
  );
}

/**
 * What the file does (or did) to the segment: who joins, who leaves, who stays, with examples in the preview and
 * the sums that show every email of the file and every member is counted. Replace warns before more than half
 * of the segment leaves.
 */
export function SegmentChange({ counts, planned, segmentName }: { counts: Counts; planned: boolean; segmentName: string }) {
  const mode: ImportMode = counts.mode ?? "add";
  const n = (v: number | undefined) => v ?? 0;
  const before = n(counts.members_before);
  const stay = before - n(counts.left);
  const terms: [number, string][] =
    mode === "remove"
      ? [
          [n(counts.left), "leaving"],
          [n(counts.not_members), "not members"],
          [n(counts.not_found), "not in Roster"],
        ]
      : [
          [n(counts.joined), "joining"],
          [n(counts.already_members), "already members"],
        ];
  const emailSum = terms.reduce((sum, [v]) => sum + v, 0);
  const distinct = n(counts.created) + n(counts.updated) + n(counts.unchanged) + n(counts.not_found);
  const lines: [string, number | undefined, string][] =
    mode === "remove"
      ? [
          [planned ? "Would leave the segment" : "Left the segment", counts.left, "left"],
          ["In the file but not members, left alone", counts.not_members, "not_members"],
          ["Not in Roster, not created", counts.not_found, "not_found"],
        ]
      : [
          [planned ? "Would join the segment" : "Joined the segment", counts.joined, "joined"],
          ["Already members, unchanged", counts.already_members, "already_members"],
          ...(mode === "replace"
            ? [[planned ? "Would leave (not in the file)" : "Left (not in the file)", counts.left, "left"] as [string, number | undefined, string]]
            : []),
        ];
  const ex = counts.examples;
  return (
    <section class="segment-change" aria-labelledby="segment-change-title">
      <h3 id="segment-change-title">
        {MODE_LABELS[mode]}: "{segmentName}"
      </h3>
      {planned && mode === "replace" && n(counts.left) * 2 > before && (
        <p class="notice warning" role="alert" data-testid="replace-warning">
          {formatCount(counts.left)} of the segment's {formatCount(before)} members ({Math.round((n(counts.left) / before) * 100)}%) would leave: more than
          half. Check that this is the right file and the right segment.
        </p>
      )}
      <div class="table-wrap">
        <table class="outcomes">
          <tbody>
            {lines.map(([label, value, key]) => (
              <OutcomeRow label={label} n={value} outcome={key} />
            ))}
            <tr class="total">
              <th scope="row">Distinct valid emails in the file</th>
              <td class="num">{formatCount(distinct)}</td>
            </tr>
            <tr data-outcome="members">
              <th scope="row">{planned ? "Members now → after" : "Members before → after"}</th>
              <td class="num nowrap">
                {formatCount(before)} → {formatCount(n(counts.members_after))}
              </td>
            </tr>
          </tbody>
        </table>
        <p class={emailSum === distinct ? "muted" : "notice error"} data-testid="emails-accounted">
          {emailSum === distinct
            ? `Every email is accounted for: ${terms.map(([v, what]) => `${formatCount(v)} ${what}`).join(" + ")} = ${formatCount(distinct)}. ${formatCount(stay)} ${stay === 1 ? "member stays" : "members stay"}.`
            : `The segment outcomes add up to ${formatCount(emailSum)}, not ${formatCount(distinct)}: please report this import.`}
        </p>
      </div>
      {ex && (
        <div class="examples-list">
          <Examples title="Joining" emails={ex.joins} total={counts.joined} />
          <Examples title="Leaving" emails={ex.leaves} total={counts.left} />
          <Examples
            title={mode === "remove" ? "Staying (not in the file)" : "Already members, staying"}
            emails={ex.unchanged}
            total={mode === "remove" ? stay : counts.already_members}
          />
          <Examples title="Not in Roster" emails={ex.not_found} total={counts.not_found} />
        </div>
      )}
    </section>
  );
}

/** Undo of a finished import's segment change: the button, or what the undo did, or why it cannot be undone. */
export function UndoImport({ view, error }: { view: ImportView; error?: string }) {
  const cs = view.changeSet;
  if (!cs) return null;
  const undo = view.undo;
  return (
    <section class="undo" aria-labelledby="undo-title">
      <h3 id="undo-title">Undo</h3>
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      {undo ? (
        <p class="notice" data-testid="undo-result">
          Undone by {undo.createdByLabel} ("{undo.label}"): {formatCount(undo.left)} left the segment and {formatCount(undo.joined)} came back.
          {undo.skipped > 0 && ` ${formatCount(undo.skipped)} were skipped because a later change touched the same members.`}
        </p>
      ) : (
        <form
          method="post"
          action={`/imports/${view.import.id}/undo`}
          class="inline-form"
          data-confirm={`Undo import #${view.import.id}: ${cs.joined} members leave and ${cs.left} come back?`}
        >
          <p class="muted">
            Undo takes out the {formatCount(cs.joined)} members this import added and brings back the {formatCount(cs.left)} it removed. Members changed again
            since are left as they are.
          </p>
          <button type="submit" class="secondary">
            Undo this import's segment change
          </button>
        </form>
      )}
    </section>
  );
}
