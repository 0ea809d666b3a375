// COPY's text output back into typed rows, on the job's thread (JSON Lines) and in the XLSX thread (xlsx-thread.ts).
import type { ExportField } from "./fields";
import type { ExportRow } from "./formats";

export type Parse = (text: string) => unknown;

/** Text of each column to the value the writers expect: Dates, numbers and booleans where the property says so. */
export function columnParsers(fields: readonly ExportField[], isoDates: boolean): Parse[] {
  return fields.map((f): Parse => {
    switch (f.type) {
      case "datetime":
        return isoDates ? (t) => t : (t) => new Date(Math.round(Number(t)));
      case "number":
        return (t) => (t !== "" && Number.isFinite(Number(t)) ? Number(t) : t);
      case "boolean":
        return (t) => (t === "true" ? true : t === "false" ? false : t);
      default:
        return (t) => t;
    }
  });
}

const COPY_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/**
 * Turns COPY's text format (one line per row, tab-separated, `\N` for null, backslash escapes) into rows keyed
 * like the writers expect. Lines without a backslash, nearly all of them, are split as they are.
 */
export function parseCopyLines(lines: readonly string[], keys: readonly string[], parsers: readonly Parse[]): ExportRow[] {
  const rows = new Array<ExportRow>(lines.length);
  const n = keys.length;
  for (let r = 0; r < lines.length; r++) {
    const line = lines[r]!;
    const parts = line.split("\t");
    const row: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      let text = parts[i]!;
      if (text === "\\N") {
        row[keys[i]!] = null;
        continue;
      }
      if (text.includes("\\")) text = text.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c);
      row[keys[i]!] = parsers[i]!(text);
    }
    rows[r] = row;
  }
  return rows;
}

/**
 * COPY text arriving in pieces, back into whole lines: each piece is cut after its last newline byte (0x0A never
 * occurs inside a UTF-8 sequence, and COPY escapes newlines inside values) and the rest waits for the next one.
 */
export class CopyLines {
  private readonly decoder = new TextDecoder();
  private rest: Buffer = Buffer.alloc(0);

  /** The whole lines that `piece` completes (without their newlines). */
  take(piece: Buffer): string[] {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, piece]) : piece;
    const cut = data.lastIndexOf(10) + 1;
    this.rest = Buffer.from(data.subarray(cut)); // a copy: `piece` may be moved or reused
    return cut === 0 ? [] : this.decode(data.subarray(0, cut));
  }

  /** A last line that had no newline, if any. */
  end(): string[] {
    const rest = this.rest;
    this.rest = Buffer.alloc(0);
    return rest.length === 0 ? [] : this.decode(rest);
  }

  private decode(bytes: Buffer): string[] {
    const lines = this.decoder.decode(bytes).split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines;
  }
}
