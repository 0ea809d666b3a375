// Shared helpers of the import unit tests: fixture access and whole-stream parsing.
import { createReadStream, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { openCsvStream, type CsvRecord, type OpenCsvOptions } from "../../src/imports/parse";

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/imports/${name}`, import.meta.url));
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

/** Parses a whole byte source; `chunkSize` cuts the bytes into small chunks to cross every boundary. */
export async function parseAll(source: string | Buffer, options: OpenCsvOptions & { chunkSize?: number } = {}) {
  const bytes = typeof source === "string" ? fixtureBytes(source) : source;
  const stream =
    options.chunkSize === undefined
      ? typeof source === "string"
        ? createReadStream(fixturePath(source))
        : Readable.from([bytes])
      : Readable.from(chunk(bytes, options.chunkSize));
  const csv = await openCsvStream(stream, options);
  const rows: CsvRecord[] = [];
  for await (const batch of csv.batches) rows.push(...batch);
  return { encoding: csv.encoding, delimiter: csv.delimiter, header: csv.header, rows, blankLines: csv.blankLines() };
}

function* chunk(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}
