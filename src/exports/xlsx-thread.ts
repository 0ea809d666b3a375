// The XLSX writer on a thread of its own: it takes COPY text in pieces and hands back zip bytes. Building the sheet
// XML and deflating it is most of an XLSX export's work (about 6 s of CPU for 1,000,000 rows); on the web
// process's own thread it made every page wait behind it. See XlsxThread (xlsx-thread-client.ts) for the protocol.
import { parentPort, workerData } from "node:worker_threads";
import { columnParsers, parseCopyLines } from "./copy-text";
import type { ExportField } from "./fields";
import { createExportWriter, type ExportColumn } from "./formats";
import type { XlsxWriterOptions } from "./xlsx";

export interface XlsxThreadData {
  fields: ExportField[];
  columns: ExportColumn[];
  options?: XlsxWriterOptions;
}
export type XlsxThreadRequest = { type: "piece"; data: Uint8Array } | { type: "end" };
export type XlsxThreadReply = { type: "out" | "end"; data: Uint8Array; rows: number } | { type: "error"; message: string };

const { fields, columns, options } = workerData as XlsxThreadData;
const keys = columns.map((c) => c.key);
const parsers = columnParsers(fields, false);
const writer = createExportWriter("xlsx", columns, options);
const decoder = new TextDecoder();
// The end of a piece that is not a whole line yet: it goes in front of the next piece.
let rest: Buffer = Buffer.alloc(0);

function reply(message: XlsxThreadReply) {
  if (message.type === "error") return parentPort!.postMessage(message);
  // A Buffer may sit in Node's shared pool: copy it into its own memory, which can then be moved, not cloned.
  const data = new Uint8Array(message.data.length);
  data.set(message.data);
  parentPort!.postMessage({ ...message, data }, [data.buffer]);
}

function rowsOf(bytes: Buffer) {
  const lines = decoder.decode(bytes).split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out = writer.write(parseCopyLines(lines, keys, parsers));
  reply({ type: "out", data: out, rows: lines.length });
}

parentPort!.on("message", (message: XlsxThreadRequest) => {
  try {
    if (message.type === "piece") {
      const piece = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
      const data = rest.length > 0 ? Buffer.concat([rest, piece]) : piece;
      // Cut after the last newline byte: 0x0A never occurs inside a UTF-8 sequence, so no character is split.
      const cut = data.lastIndexOf(10) + 1;
      rest = Buffer.from(data.subarray(cut));
      if (cut === 0) reply({ type: "out", data: new Uint8Array(0), rows: 0 });
      else rowsOf(data.subarray(0, cut));
    } else {
      if (rest.length > 0) rowsOf(rest); // a last line without its newline
      rest = Buffer.alloc(0);
      reply({ type: "end", data: writer.end(), rows: 0 });
    }
  } catch (e) {
    reply({ type: "error", message: (e as Error).message });
  }
});
