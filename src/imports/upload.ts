// Receives a CSV (multipart `file` field, pasted text, or a raw text/csv body) straight into the file store, then reads its head: dialect, header, samples.
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { Db } from "../db/client";
import { createFile, createFileWriter, deleteFile, readFileStream, type StoredFile } from "../files/store";
import type { Delimiter } from "./dialect";
import { looksBinary, type TextEncoding } from "./decode";
import { hasNul } from "../text";
import { openCsvStream } from "./parse";
import { PROFILE_ROWS } from "./typed-columns";
import { emptyProfile, profileValue } from "../custom-fields/typed-values";

export const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
/** Pasted text comes in a form field, which busboy and Hono hold in memory: a paste box is for small lists. */
export const MAX_PASTE_CHARS = 10 * 1024 * 1024;
const SAMPLE_ROWS = 3;

/** A request the upload cannot use; routes answer 400 (or 413 when `tooLarge`) with the message. */
export class UploadError extends Error {
  constructor(
    message: string,
    public tooLarge = false,
  ) {
    super(message);
  }
}

export const TOO_LARGE_MESSAGE = "The file is larger than 1 GB, the most one import takes. Split it into smaller files.";

/**
 * The request as the upload reads it: its headers and its body as a Node stream. On the Node server the body is
 * the IncomingMessage itself, so backpressure reaches the socket (a web ReadableStream converted back and forth
 * buffered hundreds of MB of a fast upload here); elsewhere (tests) it is the web body converted once.
 */
export interface UploadRequest {
  header(name: string): string | undefined;
  body(): Readable | null;
}

/** Reads a small body (a form-urlencoded paste) whole; past `maxBytes` it is refused. */
async function readSmallText(body: Readable, maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new UploadError("That is too much text to paste: upload it as a file instead.", true);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

export interface ReceivedUpload {
  file: StoredFile;
  source: "upload" | "paste" | "api";
  /** The other form fields sent with the file (multipart) or the query (raw body). */
  fields: Record<string, string>;
}

/**
 * Counts bytes through, failing once more than `max` passed: the stored file stops growing at the limit. Its
 * 4 MiB buffer lets the socket go on being read while a chunk is being inserted (a third faster on a 77 MB body).
 */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    highWaterMark: 4 * 1024 * 1024,
    transform(chunk: Buffer, _enc, callback) {
      seen += chunk.length;
      if (seen > max) return callback(new UploadError(TOO_LARGE_MESSAGE, true));
      callback(null, chunk);
    },
  });
}

/** Stores a stream as a new file; on any failure the partial file is deleted. */
async function storeLimited(
  db: Db,
  accountId: number,
  meta: { name: string; contentType: string; expiresAt: Date },
  source: Readable,
  maxBytes: number,
): Promise<StoredFile> {
  const file = await createFile(db, accountId, meta);
  const writer = createFileWriter(db, file);
  try {
    await pipeline(source, byteLimit(maxBytes), writer);
  } catch (e) {
    await deleteFile(db, accountId, file.id).catch(() => {});
    throw e;
  }
  return { ...file, sizeBytes: writer.bytesWritten(), complete: true };
}

export async function storeText(db: Db, accountId: number, text: string, meta: { name: string; expiresAt: Date }): Promise<StoredFile> {
  return storeLimited(db, accountId, { ...meta, contentType: "text/csv" }, Readable.from([Buffer.from(text, "utf8")]), MAX_UPLOAD_BYTES);
}

/**
 * Streams the request body into the file store without holding it in memory: a multipart form (field `file`,
 * or a pasted `csv` field when no file was chosen), a form-urlencoded paste (`csv`), or a raw CSV body.
 * Throws UploadError for an empty or oversized request.
 */
export async function receiveUpload(
  db: Db,
  accountId: number,
  request: UploadRequest,
  options: { expiresAt: Date; maxBytes?: number; defaultName?: string },
): Promise<ReceivedUpload> {
  const maxBytes = options.maxBytes ?? MAX_UPLOAD_BYTES;
  const length = Number(request.header("content-length") ?? "NaN");
  // Multipart framing adds a little around the file; anything beyond that slack cannot fit.
  if (Number.isFinite(length) && length > maxBytes + 64 * 1024) throw new UploadError(TOO_LARGE_MESSAGE, true);
  const contentType = request.header("content-type") ?? "";
  const meta = { contentType: "text/csv", expiresAt: options.expiresAt };
  const body = request.body();
  if (!body) throw new UploadError("The request has no body: send a CSV file.");

  if (/^multipart\/form-data/i.test(contentType)) {
    return receiveMultipart(db, accountId, body, contentType, { ...meta, maxBytes });
  }
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    const form = new URLSearchParams(await readSmallText(body, MAX_PASTE_CHARS * 4));
    const fields = Object.fromEntries(form);
    const text = fields.csv ?? "";
    if (text.trim() === "") throw new UploadError("Paste some CSV text, or choose a file to upload.");
    if (text.length > MAX_PASTE_CHARS) throw new UploadError("That is too much text to paste: upload it as a file instead.", true);
    const file = await storeText(db, accountId, text, { name: "pasted.csv", expiresAt: options.expiresAt });
    return { file, source: "paste", fields };
  }
  const name = options.defaultName ?? "upload.csv";
  const file = await storeLimited(db, accountId, { ...meta, name }, body, maxBytes);
  if (file.sizeBytes === 0) {
    await deleteFile(db, accountId, file.id);
    throw new UploadError("The request body is empty: send the CSV as the body, or as a multipart `file` field.");
  }
  return { file, source: "api", fields: {} };
}

async function receiveMultipart(
  db: Db,
  accountId: number,
  source: Readable,
  contentType: string,
  meta: { contentType: string; expiresAt: Date; maxBytes: number },
): Promise<ReceivedUpload> {
  const fields: Record<string, string> = {};
  let stored: Promise<StoredFile | null> | null = null;
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: { "content-type": contentType }, limits: { files: 1, fields: 20, fieldSize: MAX_PASTE_CHARS, fileSize: meta.maxBytes } });
  } catch {
    throw new UploadError("The multipart body could not be read (no boundary).");
  }
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || stored) {
        stream.resume();
        return;
      }
      const fileName = (info.filename ?? "").trim() || "upload.csv";
      // busboy stops the file at the limit (and reads past the rest), so the store never holds more than 1 GB.
      stored = storeLimited(db, accountId, { ...meta, name: fileName }, stream, meta.maxBytes + 1).then(async (file) => {
        if (file.sizeBytes > 0 && !stream.truncated) return file;
        await deleteFile(db, accountId, file.id);
        if (stream.truncated) throw new UploadError(TOO_LARGE_MESSAGE, true);
        return null;
      });
      // A failure while storing must not leave busboy waiting on a stream nobody reads.
      stored.catch(() => stream.resume());
    });
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("close", () => resolve());
    parser.on("error", (e) => reject(new UploadError(`The upload could not be read: ${(e as Error).message}`)));
  });
  // pipe() does not pass a source's error on: an interrupted upload must fail the parser itself, which fails the
  // file too (storeLimited then deletes its partial chunks).
  const abandoned = () => parser.destroy(new UploadError("The upload was interrupted before it ended: nothing was kept."));
  source.on("error", abandoned);
  source.on("close", () => {
    if (!source.readableEnded) abandoned();
  });
  source.pipe(parser);
  const results = await Promise.allSettled([parsed, stored ?? Promise.resolve(null)]);
  // `stored` may have been set after the allSettled list was built: wait for it too.
  const file = stored ? await (stored as Promise<StoredFile | null>) : null;
  if (results[0].status === "rejected") {
    if (file) await deleteFile(db, accountId, file.id);
    throw results[0].reason;
  }
  if (file) return { file, source: "upload", fields };
  const text = fields.csv ?? "";
  if (text.trim() === "") throw new UploadError("Choose a CSV file to upload (the one chosen is empty), or paste CSV text.");
  return { file: await storeText(db, accountId, text, { name: "pasted.csv", expiresAt: meta.expiresAt }), source: "paste", fields };
}

export const NOT_TEXT_MESSAGE = "This file is not text (it looks like an image, a spreadsheet or another binary file). Save it as CSV and upload that.";

/** Refuses a stored file whose first bytes are binary rather than text (looksBinary). */
async function refuseBinary(db: Db, accountId: number, fileId: number): Promise<void> {
  const stream = readFileStream(db, accountId, fileId);
  try {
    for await (const chunk of stream) {
      if (looksBinary(chunk as Uint8Array)) throw new UploadError(NOT_TEXT_MESSAGE);
      break;
    }
  } finally {
    stream.destroy();
  }
}

export interface FileHead {
  encoding: TextEncoding;
  delimiter: Delimiter;
  header: string[];
  samples: string[][];
  /** What the first PROFILE_ROWS rows of each column look like, to detect date forms and decimal marks. */
  profiles: Record<string, number>[];
}

/**
 * Reads the start of a stored CSV: encoding (the one given, or detected from its first MiB, which the job re-checks
 * over the whole file), delimiter, header, a few sample rows and the profiles of its first rows' values. Throws UploadError when the file has no header row.
 */
export async function inspectStoredFile(db: Db, accountId: number, fileId: number, options: { encoding?: TextEncoding } = {}): Promise<FileHead> {
  await refuseBinary(db, accountId, fileId);
  const stream = readFileStream(db, accountId, fileId);
  try {
    const csv = await openCsvStream(stream, { encoding: options.encoding });
    if (!csv.header || csv.header.error || csv.header.fields.every((f) => f.trim() === "")) {
      throw new UploadError("The file has no header row: its first line must name the columns.");
    }
    if (csv.header.fields.some(hasNul)) throw new UploadError("The header row contains a NUL character: its first line must name the columns in plain text.");
    const samples: string[][] = [];
    const profiles = Array.from({ length: csv.header.fields.length }, emptyProfile);
    let profiled = 0;
    reading: for await (const batch of csv.batches) {
      for (const record of batch) {
        if (record.error || record.fields.some(hasNul)) continue;
        if (samples.length < SAMPLE_ROWS) samples.push(record.fields.map((f) => f.trim().slice(0, 200)));
        for (let i = 0; i < profiles.length && i < record.fields.length; i++) profileValue(profiles[i]!, record.fields[i]!.trim());
        if (++profiled >= PROFILE_ROWS) break reading;
      }
    }
    return { encoding: csv.encoding, delimiter: csv.delimiter, header: csv.header.fields.map((f) => f.trim()), samples, profiles };
  } catch (e) {
    if (e instanceof UploadError) throw e;
    throw new UploadError(`The file could not be read as CSV: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
}
