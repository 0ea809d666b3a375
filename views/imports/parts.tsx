import type { ImportCounts } from "../../src/imports/queries";
import { PartsBar } from "../components/charts";
import { formatCount as formatAnyCount } from "../components/format";

export { formatBytes } from "../components/format";

/** A count an unfinished job may not have yet: 0 until it does. */
export function formatCount(n: number | undefined): string {
  return formatAnyCount(n ?? 0);
}

export function formatWhen(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 16).replace("T", " ") : "";
}

export const DELIMITER_NAMES: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe" };

/**
 * Every row's outcome, and the sum that proves none was lost. `planned` words it as what the import would do
 * (the preview), otherwise as what it did.
 */
export function OutcomeTable({ counts, planned, segmentName }: { counts: Partial<ImportCounts>; planned: boolean; segmentName: string | null }) {
  const rows = counts.rows ?? 0;
  const outcomes = [
    counts.created,
    counts.updated,
    counts.unchanged,
    ...(counts.mode === "remove" ? [counts.not_found] : []),
    counts.invalid,
    counts.duplicates,
  ];
  const parts = outcomes.map((n) => n ?? 0);
  const sum = parts.reduce((a, b) => a + b, 0);
  const lines: [string, number | undefined, string][] = [
    [planned ? "New contacts to create" : "New contacts created", counts.created, "created"],
    [planned ? "Existing contacts that would change" : "Existing contacts updated", counts.updated, "updated"],
    ["Existing contacts unchanged", counts.unchanged, "unchanged"],
    ...(counts.mode === "remove"
      ? [["Emails of no contact in Roster (none created)", counts.not_found, "not_found_rows"] as [string, number | undefined, string]]
      : []),
    ["Invalid rows, skipped", counts.invalid, "invalid"],
    ["Duplicates in the file, skipped (the last one wins)", counts.duplicates, "duplicates"],
  ];
  return (
    <div class="table-wrap">
      <table class="outcomes">
        <tbody>
          {lines.map(([label, n, key]) => (
            <OutcomeRow label={label} n={n} outcome={key} />
          ))}
          <tr class="total">
            <th scope="row">Rows in the file</th>
            <td class="num">{formatCount(rows)}</td>
          </tr>
          {segmentName !== null && (
            <>
              <tr data-outcome="added_to_segment">
                <th scope="row">{planned ? `To add to segment "${segmentName}"` : `Added to segment "${segmentName}"`}</th>
                <td class="num">{formatCount(counts.added_to_segment)}</td>
              </tr>
              <tr data-outcome="already_in_segment">
                <th scope="row">Already in the segment</th>
                <td class="num">{formatCount(counts.already_in_segment)}</td>
              </tr>
            </>
          )}
        </tbody>
      </table>
      <p class={sum === rows ? "muted" : "notice error"} data-testid="rows-accounted">
        {sum === rows
          ? `Every row is accounted for: ${parts.map(formatCount).join(" + ")} = ${formatCount(rows)} rows.`
          : `The outcomes add up to ${formatCount(sum)}, not ${formatCount(rows)}: please report this import.`}
        {(counts.blank_lines ?? 0) > 0 && ` ${formatCount(counts.blank_lines)} blank lines were ignored.`}
      </p>
    </div>
  );
}

/** The five outcomes of the file's rows as one bar: created, updated, unchanged, invalid, duplicates. */
export function OutcomeBar({ counts, planned }: { counts: Partial<ImportCounts>; planned: boolean }) {
  const parts = [
    { name: planned ? "To create" : "Created", key: "created", value: counts.created ?? 0 },
    { name: planned ? "To update" : "Updated", key: "updated", value: counts.updated ?? 0 },
    { name: "Unchanged", key: "unchanged", value: counts.unchanged ?? 0 },
    { name: "Invalid", key: "invalid", value: counts.invalid ?? 0 },
    { name: "Duplicates", key: "duplicates", value: counts.duplicates ?? 0 },
  ];
  const label = `Rows of the file by outcome: ${parts.map((p) => `${p.name.toLowerCase()} ${formatCount(p.value)}`).join(", ")}.`;
  return <PartsBar parts={parts} label={label} />;
}

/** One counted outcome of an import or its segment change, as a table row the tests find by `data-outcome`. */
export function OutcomeRow({ label, n, outcome }: { label: string; n: number | undefined; outcome: string }) {
  return (
    <tr data-outcome={outcome}>
      <th scope="row">{label}</th>
      <td class="num">{formatCount(n)}</td>
    </tr>
  );
}
