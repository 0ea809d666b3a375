// An import's error report as a download, streamed from the file store.
import { Readable } from "node:stream";
import type { Db } from "../db/client";
import { getFile, readFileStream } from "../files/store";
import type { ImportView } from "./queries";
import { jobCounts } from "./status";

/** The error report of a completed import; null when there is none (yet). */
export async function errorReportResponse(db: Db, view: ImportView): Promise<Response | null> {
  const fileId = jobCounts(view.job).error_file_id;
  if (view.job?.status !== "completed" || !fileId) return null;
  const file = await getFile(db, view.import.accountId, fileId);
  if (!file || !file.complete) return null;
  const stream = Readable.toWeb(readFileStream(db, view.import.accountId, fileId)) as ReadableStream;
  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="import-${view.import.id}-errors.csv"`,
      "Content-Length": String(file.sizeBytes),
      // The rows are whatever the uploader sent: a download only, never kept by a cache.
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
    },
  });
}
