// An export's file as a download: its headers, and the body streamed from the file store.
import { Readable } from "node:stream";
import type { Database } from "../db/client";
import { getFile, openFileStream } from "../files/store";
import { getExportFileId, type ExportView } from "./queries";

/** Headers of a file download: its type, length and a name the browser saves it under. */
function downloadHeaders(exp: ExportView, contentType: string): Record<string, string> {
  const name = exp.fileName ?? `export-${exp.id}`;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return {
    "Content-Type": contentType,
    ...(exp.sizeBytes !== null ? { "Content-Length": String(exp.sizeBytes) } : {}),
    "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
  };
}

/** Streams a completed export's file from the database; null when there is none (not finished, or expired). */
export async function streamExportFile(database: Database, accountId: number, exp: ExportView): Promise<Response | null> {
  const db = database.db;
  if (exp.status !== "completed") return null;
  const fileId = await getExportFileId(db, accountId, exp.id);
  if (fileId === null) return null;
  const file = await getFile(db, accountId, fileId);
  if (!file) return null;
  const body = Readable.toWeb(await openFileStream(database, accountId, fileId)) as ReadableStream;
  return new Response(body, { status: 200, headers: downloadHeaders({ ...exp, sizeBytes: file.sizeBytes }, file.contentType) });
}
