import type { SourceType } from "../../src/db/schema";
import { describeSource, sourceHref } from "./format";

/** A membership source as text, linked to the import or workflow when there is one. */
export function SourceText(props: { sourceType: SourceType; sourceId: number | null; sourceLabel: string }) {
  const href = sourceHref(props);
  const text = describeSource(props);
  return href ? <a href={href}>{text}</a> : <span>{text}</span>;
}
