// Turns the bytes of an uploaded CSV file into text: encoding detection (BOM, UTF-8 validity, else Windows-1252) and streaming decoding.
import { isUtf8 } from "node:buffer";
import iconv from "iconv-lite";

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

/** How many bytes `openTextStream` reads before choosing an encoding, when none is given. */
export const SNIFF_BYTES = 1024 * 1024;

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/**
 * Picks the encoding from the first bytes of a file: a BOM decides; otherwise valid UTF-8 means
 * UTF-8 (plain ASCII included) and anything else is taken as Windows-1252, the usual encoding of
 * spreadsheets saved on Western Windows. `complete` says `head` is the whole file, so a multi-byte
 * sequence cut at its end is invalid rather than merely unfinished.
 */
export function sniffEncoding(head: Uint8Array, complete = false): TextEncoding {
  const bom = bomEncoding(head);
  if (bom) return bom;
  const checked = complete ? head : head.subarray(0, completeUtf8Length(head));
  return isUtf8(checked) ? "utf-8" : "windows-1252";
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

/**
 * Checks UTF-8 validity chunk by chunk, carrying a sequence split across chunks. Returns the byte
 * offset of the first invalid chunk, or -1 while everything seen is valid.
 */
class Utf8Checker {
  private carry: Uint8Array = new Uint8Array(0);
  private offset = 0;

  write(chunk: Uint8Array): number {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const start = this.offset - this.carry.length;
    const cut = completeUtf8Length(bytes);
    this.offset += chunk.length;
    this.carry = bytes.slice(cut);
    return isUtf8(bytes.subarray(0, cut)) ? -1 : start;
  }

  end(): number {
    return this.carry.length ? this.offset - this.carry.length : -1;
  }
}

/**
 * Reads a whole byte stream and decides its encoding. An import job runs this pass over the stored
 * file before parsing: a Windows-1252 file whose first accented name appears after the sniffing
 * window would otherwise be half-read as UTF-8. Costs one sequential read (about 1 s per GB).
 */
export async function scanEncoding(source: AsyncIterable<Uint8Array>): Promise<TextEncoding> {
  const checker = new Utf8Checker();
  let first = true;
  let valid = true;
  for await (const chunk of source) {
    if (first && chunk.length >= 2) {
      const bom = bomEncoding(chunk);
      if (bom && bom !== "utf-8") return bom;
    }
    if (chunk.length) first = false;
    if (valid && checker.write(chunk) !== -1) valid = false;
  }
  return valid && checker.end() === -1 ? "utf-8" : "windows-1252";
}

export interface TextStream {
  encoding: TextEncoding;
  chunks: AsyncIterable<string>;
}

/**
 * Decodes a byte stream into text chunks (BOM removed). Without `encoding`, the first
 * SNIFF_BYTES decide it. Text said to be UTF-8 is still checked: invalid bytes later in the file
 * raise DecodeError instead of silently becoming U+FFFD in someone's name.
 */
export async function openTextStream(
  source: AsyncIterable<Uint8Array>,
  options: { encoding?: TextEncoding } = {},
): Promise<TextStream> {
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
    const checker = encoding === "utf-8" ? new Utf8Checker() : null;
    const decode = (bytes: Uint8Array): string => {
      if (checker) {
        const bad = checker.write(bytes);
        if (bad !== -1) throw new DecodeError(`the file is not valid UTF-8 (near byte ${bad})`);
      }
      return decoder.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    };
    if (headBuffer.length) yield decode(headBuffer);
    while (!done) {
      const next = await iterator.next();
      if (next.done) break;
      const text = decode(next.value);
      if (text) yield text;
    }
    if (checker && checker.end() !== -1) throw new DecodeError("the file is not valid UTF-8 (it ends mid-character)");
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
