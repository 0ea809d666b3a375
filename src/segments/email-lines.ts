// Reads a text body of one email per line, streamed: a short list stays in memory, a long one goes into the file
// store as a one-column CSV (header "email") for an import job.
import type { Readable } from "node:stream";
import { Readable as ReadableStream } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Db } from "../db/client";
import { createFile, createFileWriter, deleteFile, type StoredFile } from "../files/store";

/** Up to this many lines the list is applied in the request; more run as an import job. */
export const MAX_LINES_IN_REQUEST = 10_000;
export const MAX_LINES = 5_000_000;
/** 5,000,000 addresses of up to 254 characters with their line breaks. */
export const MAX_TEXT_BYTES = MAX_LINES * 256;

export class EmailLinesTooLargeError extends Error {}

/** The request's lines, trimmed, blank ones dropped, and a first line "email" taken as a header and dropped. */
async function* readLines(body: Readable): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let rest = "";
  let bytes = 0;
  let first = true;
  const emit = function* (line: string) {
    const value = line.trim();
    if (value === "") return;
    if (first) {
      first = false;
      if (value.toLowerCase() === "email") return;
    }
    yield value;
  };
  for await (const chunk of body) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_TEXT_BYTES) {
      body.destroy();
      throw new EmailLinesTooLargeError(`The body is larger than ${MAX_TEXT_BYTES.toLocaleString("en-US")} bytes, the most this endpoint takes.`);
    }
    const text = rest + decoder.decode(chunk as Buffer, { stream: true });
    const lines = text.split("\n");
    rest = lines.pop()!;
    for (const line of lines) yield* emit(line);
  }
  yield* emit(rest + decoder.decode());
}

/** One line as a CSV cell: quoted when it holds a quote or a comma, so that every line stays one row of one field. */
function csvLine(value: string): string {
  return /[",]/.test(value) ? `"${value.replace(/"/g, '""')}"\n` : `${value}\n`;
}

export type EmailLines = { kind: "list"; emails: string[] } | { kind: "file"; file: StoredFile; lines: number };

/**
 * Reads the body. Up to MAX_LINES_IN_REQUEST lines it returns them; past that it stores them all (those read so far
 * first) as a CSV file, counting up to MAX_LINES. Throws EmailLinesTooLargeError past either limit (the partial
 * file is deleted).
 */
export async function receiveEmailLines(db: Db, accountId: number, body: Readable, meta: { name: string; expiresAt: Date }): Promise<EmailLines> {
  const lines = readLines(body);
  const head: string[] = [];
  for (;;) {
    const next = await lines.next();
    if (next.done) return { kind: "list", emails: head };
    head.push(next.value);
    if (head.length > MAX_LINES_IN_REQUEST) break;
  }
  const file = await createFile(db, accountId, { name: meta.name, contentType: "text/csv", expiresAt: meta.expiresAt });
  let count = head.length;
  async function* csv(): AsyncGenerator<string> {
    yield `email\n${head.map(csvLine).join("")}`;
    let batch = "";
    for await (const value of lines) {
      if (++count > MAX_LINES)
        throw new EmailLinesTooLargeError(`The body has more than ${MAX_LINES.toLocaleString("en-US")} lines, the most this endpoint takes: split the list.`);
      batch += csvLine(value);
      if (batch.length > 256 * 1024) {
        yield batch;
        batch = "";
      }
    }
    if (batch) yield batch;
  }
  try {
    await pipeline(ReadableStream.from(csv()), createFileWriter(db, file));
  } catch (e) {
    await deleteFile(db, accountId, file.id).catch(() => {});
    throw e;
  }
  return { kind: "file", file, lines: count };
}
