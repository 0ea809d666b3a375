import type { ExportFormat } from "../../src/exports/formats";
import { formatBytes as formatFileBytes, formatDateTime } from "../components/format";

/** How the wizard, the list and the summary name each format. */
export const FORMAT_LABELS: Record<ExportFormat, string> = {
  csv: "CSV (comma)",
  csv_excel: "CSV for Excel (semicolon, UTF-8 with BOM)",
  tsv: "TSV",
  jsonl: "JSON Lines",
  xlsx: "Excel workbook (.xlsx)",
};

export const FORMAT_HINTS: Record<ExportFormat, string> = {
  csv: "The usual CSV: commas, UTF-8. Imports back into Roster as it is.",
  csv_excel: "Opens in Excel with accents intact, in locales where Excel expects semicolons.",
  tsv: "Tab-separated values, for tools that split on tabs.",
  jsonl: "One JSON object per line, for programs.",
  xlsx: "A workbook, streamed; past Excel's 1,048,576 rows the contacts continue on another sheet.",
};

export { formatCount } from "../components/format";

/** An export's moment, or nothing while it has none (not completed, no expiry yet). */
export function formatWhen(d: Date | null): string {
  return d ? formatDateTime(d) : "";
}

/** A file's size, or nothing before the file exists. */
export function formatBytes(n: number | null): string {
  return n === null ? "" : formatFileBytes(n);
}
