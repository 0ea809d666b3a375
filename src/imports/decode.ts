// Turns the bytes of an uploaded CSV file into text: encoding detection (BOM, mostly UTF-8, else Windows-1252) and streaming decoding.
import { isAscii, isUtf8 } from "node:buffer";
import iconv from "iconv-lite";

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252" | "iso-8859-1";

/** The encodings a person may choose for a file, in the order offered, with their names. */
export const ENCODING_NAMES: Record<TextEncoding, string> = {
  "utf-8": "UTF-8",
  "windows-1252": "Windows-1252",
  "iso-8859-1": "ISO-8859-1",
  "utf-16le": "UTF-16 LE",
  "utf-16be": "UTF-16 BE",
};

export function isTextEncoding(value: unknown): value is TextEncoding {
  return typeof value === "string" && Object.hasOwn(ENCODING_NAMES, value);
}

/** How many bytes `openTextStream` reads before choosing an encoding, when none is given. */
export const SNIFF_BYTES = 1024 * 1024;

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** What a pass over bytes found: characters outside ASCII that are valid UTF-8, and invalid sequences. */
interface Utf8Tally {
  valid: number;
  invalid: number;
}

/** Tallies one piece of bytes; the common valid piece costs one isUtf8 and one isAscii. */
function tallyUtf8(bytes: Uint8Array, tally: Utf8Tally): void {
  if (isUtf8(bytes)) {
    if (!isAscii(bytes)) tally.valid++;
    return;
  }
  const text = new TextDecoder("utf-8").decode(bytes);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) tally.invalid++;
    else if (c > 0x7f) tally.valid++;
  }
}

/**
 * Mostly UTF-8: no invalid sequence, or more valid non-ASCII characters than invalid sequences. A UTF-8 file with
 * a few damaged bytes stays UTF-8 (those rows are reported), while a Windows-1252 file, whose accents are nearly
 * all invalid as UTF-8, does not.
 */
function mostlyUtf8(tally: Utf8Tally): boolean {
  return tally.invalid === 0 || tally.valid > tally.invalid;
}

/**
 * Picks the encoding from the first bytes of a file: a BOM decides; otherwise mostly UTF-8 means
 * UTF-8 (plain ASCII included) and anything else is taken as Windows-1252, the usual encoding of
 * spreadsheets saved on Western Windows. `complete` says `head` is the whole file, so a multi-byte
 * sequence cut at its end is invalid rather than merely unfinished.
 */
export function sniffEncoding(head: Uint8Array, complete = false): TextEncoding {
  const bom = bomEncoding(head);
  if (bom) return bom;
  const tally = { valid: 0, invalid: 0 };
  tallyUtf8(complete ? head : head.subarray(0, completeUtf8Length(head)), tally);
  return mostlyUtf8(tally) ? "utf-8" : "windows-1252";
}

function bomEncoding(head: Uint8Array): TextEncoding | null {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return null;
}

const BINARY_SNIFF_BYTES = 8192;

/**
 * True when the start of a file is not text: a CSV has at most a stray control character, while an image, a
 * spreadsheet or an archive has them throughout. Counts C0 controls other than tab and line breaks (NUL
 * included) in the first 8 KiB as decoded: at least 4 and more than 1% means binary.
 */
export function looksBinary(head: Uint8Array): boolean {
  const slice = head.subarray(0, BINARY_SNIFF_BYTES);
  const { text } = decodeBytes(slice, sniffEncoding(slice, slice.length === head.length));
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) controls++;
  }
  return controls >= 4 && controls > text.length / 100;
}

/** Length of `bytes` without a trailing multi-byte UTF-8 sequence that a later chunk may finish. */
function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Tallies UTF-8 chunk by chunk, carrying a sequence split across chunks to the next one. */
class Utf8Scanner {
  private carry: Uint8Array = new Uint8Array(0);
  readonly tally: Utf8Tally = { valid: 0, invalid: 0 };

  write(chunk: Uint8Array): void {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = completeUtf8Length(bytes);
    this.carry = bytes.slice(cut);
    tallyUtf8(bytes.subarray(0, cut), this.tally);
  }

  end(): void {
    if (this.carry.length) this.tally.invalid++;
  }
}

/**
 * Reads a whole byte stream and decides its encoding. An import job runs this pass over the stored
 * file before parsing: a Windows-1252 file whose first accented name appears after the sniffing
 * window would otherwise be half-read as UTF-8. Costs one sequential read (about 1 s per GB).
 */
export async function scanEncoding(source: AsyncIterable<Uint8Array>): Promise<TextEncoding> {
  const scanner = new Utf8Scanner();
  let first = true;
  for await (const chunk of source) {
    if (first && chunk.length >= 2) {
      const bom = bomEncoding(chunk);
      if (bom && bom !== "utf-8") return bom;
    }
    if (chunk.length) first = false;
    scanner.write(chunk);
  }
  scanner.end();
  return mostlyUtf8(scanner.tally) ? "utf-8" : "windows-1252";
}

export interface TextStream {
  encoding: TextEncoding;
  chunks: AsyncIterable<string>;
}

/**
 * Decodes a byte stream into text chunks (BOM removed). Without `encoding`, the first
 * SNIFF_BYTES decide it. Invalid bytes in UTF-8 text become U+FFFD, and the importer reports every
 * row holding one as not valid UTF-8 (validateRow) rather than storing it.
 */
export async function openTextStream(source: AsyncIterable<Uint8Array>, options: { encoding?: TextEncoding } = {}): Promise<TextStream> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let done = false;
  if (!options.encoding) {
    while (headBytes < SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
    }
  }
  const headBuffer = Buffer.concat(head);
  const encoding = options.encoding ?? sniffEncoding(headBuffer, done);

  async function* decodeChunks(): AsyncGenerator<string> {
    const decoder = iconv.getDecoder(encoding, { stripBOM: true });
    const decode = (bytes: Uint8Array): string => decoder.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    if (headBuffer.length) yield decode(headBuffer);
    while (!done) {
      const next = await iterator.next();
      if (next.done) break;
      const text = decode(next.value);
      if (text) yield text;
    }
    const rest = decoder.end();
    if (rest) yield rest;
  }

  return { encoding, chunks: decodeChunks() };
}

/** Decodes a whole buffer (small uploads, tests) with the same detection rules. */
export function decodeBytes(bytes: Uint8Array, encoding?: TextEncoding): { encoding: TextEncoding; text: string } {
  const chosen = encoding ?? sniffEncoding(bytes, true);
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { encoding: chosen, text: iconv.decode(buffer, chosen, { stripBOM: true }) };
}
