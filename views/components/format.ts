// How dates, counts and membership sources read on every page.
import type { SourceType } from "../../src/db/schema";

/** "2026-05-31 14:05 UTC": one unambiguous format everywhere (the server does not know the reader's zone). */
export function formatDateTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** "1.5 MB": sizes of files in binary units. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** "Manual by Ada", "Import #12", "Workflow Buyers", "API key Shop": what made a membership change. */
export function describeSource(s: { sourceType: SourceType; sourceId: number | null; sourceLabel: string }): string {
  const text =
    s.sourceType === "user"
      ? `manual by ${s.sourceLabel || `user #${s.sourceId}`}`
      : s.sourceLabel || `${s.sourceType.replace("_", " ")} #${s.sourceId ?? "?"}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Where a source can be looked at, if anywhere. */
export function sourceHref(s: { sourceType: SourceType; sourceId: number | null }): string | null {
  if (s.sourceId === null) return null;
  if (s.sourceType === "import") return `/imports/${s.sourceId}`;
  if (s.sourceType === "workflow") return `/workflows/${s.sourceId}`;
  if (s.sourceType === "conditions") return `/segments/${s.sourceId}`;
  return null;
}

/** A query string from the non-empty values, for links that keep the current search and filter. */
export function queryString(params: Record<string, string | number | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}
