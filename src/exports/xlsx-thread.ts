// The XLSX writer on a thread of its own: it takes COPY text in pieces and hands back zip bytes. Building the sheet
// XML and deflating it is most of an XLSX export's work (about 6 s of CPU for 1,000,000 rows); on the web
// process's own thread it made every page wait behind it. See XlsxThread (xlsx-thread-client.ts) for the protocol.
import { parentPort, workerData } from "node:worker_threads";
import { columnParsers, CopyLines, parseCopyLines } from "./copy-text";
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
const lines = new CopyLines();

function reply(message: XlsxThreadReply) {
  if (message.type === "error") return parentPort!.postMessage(message);
  // A Buffer may sit in Node's shared pool: copy it into its own memory, which can then be moved, not cloned.
  const data = new Uint8Array(message.data.length);
  data.set(message.data);
  parentPort!.postMessage({ ...message, data }, [data.buffer]);
}

/** Writes the rows of these lines and replies with the workbook's bytes so far (an empty reply still counts). */
function write(text: string[]) {
  const out = text.length > 0 ? writer.write(parseCopyLines(text, keys, parsers)) : new Uint8Array(0);
  reply({ type: "out", data: out, rows: text.length });
}

parentPort!.on("message", (message: XlsxThreadRequest) => {
  try {
    if (message.type === "piece") write(lines.take(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength)));
    else {
      const last = lines.end(); // a last line without its newline
      const out = last.length > 0 ? writer.write(parseCopyLines(last, keys, parsers)) : new Uint8Array(0);
      reply({ type: "end", data: Buffer.concat([out, writer.end()]), rows: last.length });
    }
  } catch (e) {
    reply({ type: "error", message: (e as Error).message });
  }
});
