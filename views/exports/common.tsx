import type { ExportFormat } from "../../src/exports/formats";

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

export function formatWhen(d: Date | null): string {
  return d ? d.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "";
}

export function formatBytes(n: number | null): string {
  if (n === null) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
