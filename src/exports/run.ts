// The export job: reads one consistent snapshot of the segment's members, formats it and stores the file in the database.
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { and, eq, sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Writable } from "node:stream";
import type postgres from "postgres";
import { exportsTable } from "../db/schema";
import { createFile, createFileWriter, deleteFile, setFileExpiry, type StoredFile } from "../files/store";
import { completeJob, reportProgress } from "../jobs/queue";
import { JobError, yieldToLoop, type JobContext } from "../jobs/handler";
import { availableFields, exportColumns, resolveFields, UnknownFieldsError, type ExportField } from "./fields";
import { columnParsers, CopyLines, parseCopyLines } from "./copy-text";
import { createExportWriter, fileInfo, isExportFormat, type ExportColumn, type ExportFormat } from "./formats";
import { XlsxThread } from "./xlsx-thread-client";
import { listCustomFields } from "../custom-fields/queries";
import { DATE_FORM_LABELS, isDateForm, isDecimalMark, type DateForm, type DecimalMark } from "../custom-fields/typed-values";

/** COPY output is parsed and formatted in pieces of about this many bytes (~600 rows, a few ms of work each). */
const COPY_READ_BYTES = 64 * 1024;
/** The native CSV path converts and stores COPY's output in pieces of about this many bytes. */
const COPY_PIECE_BYTES = 64 * 1024;
const STORE_AHEAD_BYTES = 4 * 1024 * 1024;
/** COPY text goes to the XLSX thread in pieces of about this many bytes. */
const XLSX_PIECE_BYTES = 256 * 1024;
const PROGRESS_EVERY_MS = 250;
const KEY = "__export_key";

/**
 * Reads a postgres.js COPY ... TO STDOUT stream (one message per row) in pieces of about `pieceBytes`, each in
 * memory of its own (it may be moved to a thread), and hands them to `onPiece` one at a time, with backpressure.
 */
async function readCopyPieces(stream: AsyncIterable<Buffer>, pieceBytes: number, onPiece: (piece: Buffer) => Promise<void>): Promise<void> {
  let parts: Buffer[] = [];
  let size = 0;
  const pass = async () => {
    const piece = Buffer.from(new ArrayBuffer(size)); // not Buffer.concat: a small one would come from Node's shared pool
    let at = 0;
    for (const part of parts) {
      piece.set(part, at);
      at += part.length;
    }
    parts = [];
    size = 0;
    await onPiece(piece);
  };
  for await (const chunk of stream) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= pieceBytes) await pass();
  }
  if (size > 0) await pass();
  // postgres.js pauses its socket when the COPY stream is full and resumes it only from the stream's read();
  // once the stream has ended nothing calls read() again, and the replies that follow (COPY's completion,
  // then COMMIT's) would never be read. Resume it here.
  (stream as unknown as { _read(size: number): void })._read(0);
}

/** "Spring Sale!" -> "spring-sale"; the file name is `<segment>-<yyyy-mm-dd>.<ext>`. */
export function exportFileName(segmentName: string | null, date: Date, extension: string): string {
  const slug =
    (segmentName ?? "all-contacts")
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "export";
  return `${slug}-${date.toISOString().slice(0, 10)}.${extension}`;
}

// Every column is read as text (epoch milliseconds for date-times) and typed in JS by `columnParsers`: the only
// way through COPY, whose output is text. (drizzle also sets postgres.js to hand timestamps back as PostgreSQL's text, "2026-11-28 23:14:40.716+00", which Date does not parse reliably.)
// With `isoDates` (every format but xlsx, whose cells need Dates) PostgreSQL writes date-times as the ISO 8601
// text formatDate would: the work then runs in the database's process, on another core, and Node makes no Date.
function selectList(fields: readonly ExportField[], keys: readonly string[], withSegment: boolean, isoDates: boolean): SQL {
  const alias = (k: string) => sql.raw(`"${k.replaceAll('"', '""')}"`);
  const parts = fields.map((f, i) => {
    const as = alias(keys[i]!);
    if (f.type === "datetime") {
      const column = sql.raw(`${f.id === "added_at" ? "m" : "c"}.${f.id}`);
      if (isoDates) return sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${as}`;
      return sql`(extract(epoch from ${column}) * 1000)::float8 as ${as}`;
    }
    if (f.id.startsWith("custom:")) return sql`c.custom ->> ${f.id.slice(7)} as ${as}`;
    if (f.id === "added_at" || f.id === "source_label") return sql`m.${sql.raw(f.id)} as ${as}`;
    return sql`c.${sql.raw(f.id)} as ${as}`;
  });
  parts.push(withSegment ? sql`m.contact_id as ${alias(KEY)}` : sql`c.id as ${alias(KEY)}`);
  return sql.join(parts, sql`, `);
}

/** The snapshot query, read whole by one COPY, in contact order (the rows of JSON Lines and XLSX files). */
function snapshotQuery(accountId: number, segmentId: number | null, select: SQL): SQL {
  if (segmentId === null) {
    return sql`select ${select} from contacts c where c.account_id = ${accountId} order by c.id`;
  }
  return sql`select ${select}
    from segment_members m
    join contacts c on c.account_id = m.account_id and c.id = m.contact_id
    where m.account_id = ${accountId} and m.segment_id = ${segmentId}
    order by m.contact_id`;
}

/** The exact row count inside the snapshot (read on the snapshot's own connection): a segment's member count is maintained with every change. */
async function snapshotCountPg(tx: postgres.TransactionSql, accountId: number, segmentId: number | null): Promise<number> {
  const [row] =
    segmentId === null
      ? await tx`select count(*) as n from contacts where account_id = ${accountId}`
      : await tx`select member_count as n from segments where account_id = ${accountId} and id = ${segmentId}`;
  if (!row) throw new JobError("The segment was deleted before its export ran.");
  return Number(row.n);
}

// The delimited formats: the database writes the CSV itself (COPY ... WITH (FORMAT csv)) with the same rules as
// formats.ts, and Node only stores the bytes (never parse them back into rows: it is several times slower).
// Each text value goes through the same neutralisation as neutraliseFormula (FORMULA_START / PLAIN_NUMBER), an
// empty text is written as NULL (COPY would quote "" where formats.ts writes nothing), numbers are written as
// JavaScript would print them, and date-times as formatDate's ISO 8601.
// The first-character test comes first (as in neutraliseFormula): almost no value needs a regex.
function neutralisedSql(x: SQL): SQL {
  return sql`nullif(case when ascii(${x}) in (39, 61, 43, 45, 64, 9, 13) and ${x} ~ '^''*[=+@\\t\\r-]'
    and ${x} !~ '^[+-][0-9 .,()/\\u00a0-]*[0-9][0-9 .,()/\\u00a0-]*$' then '''' || ${x} else ${x} end, '')`;
}

/** A stored yyyy-mm-dd as the chosen form writes it (dd/mm/yyyy, mm/dd/yyyy); other text as it is, neutralised. */
function dateSql(source: SQL, form: DateForm): SQL {
  if (form === "ymd") return neutralisedSql(source);
  const parts =
    form === "dmy" ? sql`substr(${source}, 9, 2) || '/' || substr(${source}, 6, 2)` : sql`substr(${source}, 6, 2) || '/' || substr(${source}, 9, 2)`;
  return sql`case when ${source} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then ${parts} || '/' || substr(${source}, 1, 4) else ${neutralisedSql(source)} end`;
}

function nativeSelectList(fields: readonly ExportField[], forms: { dateForm: DateForm; decimalMark: DecimalMark }): SQL {
  const parts = fields.map((f, i) => {
    const as = sql.raw(`"c${i}"`);
    const source = f.id.startsWith("custom:")
      ? sql`(c.custom ->> ${f.id.slice(7)})`
      : sql.raw(`${f.id === "added_at" || f.id === "source_label" ? "m" : "c"}.${f.id}`);
    if (f.type === "datetime") return sql`to_char(${source} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${as}`;
    if (f.type === "date") return sql`${dateSql(source, forms.dateForm)} as ${as}`;
    if (f.type === "number") {
      const text = forms.decimalMark === "," ? sql`replace((${source}::float8)::text, '.', ',')` : sql`(${source}::float8)::text`;
      return sql`case when ${source} ~ '^\\s*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?\\s*$' then ${text} else ${neutralisedSql(source)} end as ${as}`;
    }
    return sql`${neutralisedSql(sql`${source}::text`)} as ${as}`;
  });
  return sql.join(parts, sql`, `);
}

/**
 * COPY's CSV ends rows with LF; formats.ts ends CSV rows with CRLF. Rewrites the row ends (a LF outside quotes)
 * and counts them; a LF inside a quoted value stays as it is. `state.inQuotes` carries over between chunks.
 */
export function convertRowEnds(chunk: Buffer, state: { inQuotes: boolean }, crlf: boolean): { data: Buffer; rows: number } {
  let rows = 0;
  let inQuotes = state.inQuotes;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i]!;
    if (b === 34) inQuotes = !inQuotes;
    else if (b === 10 && !inQuotes) rows++;
  }
  if (!crlf || rows === 0) {
    state.inQuotes = inQuotes;
    return { data: chunk, rows };
  }
  const out = Buffer.allocUnsafe(chunk.length + rows);
  let j = 0;
  inQuotes = state.inQuotes;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i]!;
    if (b === 34) inQuotes = !inQuotes;
    else if (b === 10 && !inQuotes) out[j++] = 13;
    out[j++] = b;
  }
  state.inQuotes = inQuotes;
  return { data: out, rows };
}

const NATIVE_DELIMITERS: Partial<Record<string, string>> = { csv: ",", csv_excel: ";", tsv: "\\t" };

/** What a completed export job records. */
export interface ExportResult {
  rows: number;
  sizeBytes: number;
}

/** An export row whose format has been checked. */
type ExportRow = typeof exportsTable.$inferSelect & { format: ExportFormat };

/** What an export's three paths share: the export, its columns, the file being written and the rows counted. */
class ExportRun {
  private out: (Writable & { bytesWritten(): number }) | null = null;
  private storeError: Error | null = null;
  /** The XLSX path's thread, closed if the export fails. */
  thread: XlsxThread | null = null;
  done = 0;
  private total = 0;
  private lastProgress = 0;

  constructor(
    readonly ctx: JobContext,
    readonly exp: ExportRow,
    readonly fields: ExportField[],
    readonly columns: ExportColumn[],
    readonly file: StoredFile,
  ) {}

  get accountId() {
    return this.exp.accountId;
  }

  get bytesWritten() {
    return this.out!.bytesWritten();
  }

  stopIfCancelled() {
    if (this.ctx.signal.aborted) throw new Error("Export cancelled.");
  }

  /** Counts rows done and reports progress at most every PROGRESS_EVERY_MS. */
  async advance(rows: number) {
    this.done += rows;
    if (Date.now() - this.lastProgress >= PROGRESS_EVERY_MS) {
      this.lastProgress = Date.now();
      await this.ctx.progress(this.done, this.total);
    }
  }

  /** Up to STORE_AHEAD_BYTES wait in the file writer while a chunk is inserted: formatting goes on meanwhile. */
  async send(chunk: Buffer) {
    if (this.storeError) throw this.storeError;
    if (chunk.length > 0) this.out!.write(chunk);
    if (this.out!.writableLength > STORE_AHEAD_BYTES) await once(this.out!, "drain");
  }

  /**
   * One repeatable-read snapshot and its count, the file opened (written through COPY on the pool), `read`
   * streaming the rows, then the file closed. One core for the export: parallel workers would take every core and
   * starve the pages people are using.
   */
  inSnapshot(read: (tx: postgres.TransactionSql) => Promise<void>) {
    const client = this.ctx.database.sql;
    return client.begin("isolation level repeatable read read only", async (tx) => {
      this.total = await snapshotCountPg(tx, this.accountId, this.exp.segmentId);
      this.out = createFileWriter(this.ctx.db, this.file, client);
      this.out.on("error", (e) => (this.storeError = e));
      await this.ctx.progress(0, this.total);
      await tx`set local max_parallel_workers_per_gather = 0`;
      await read(tx);
      this.out.end();
      await finished(this.out);
    });
  }

  /** Undoes what a failed export wrote: the thread, the writer and the file. */
  async discard() {
    await this.thread?.close();
    this.out?.destroy();
    await deleteFile(this.ctx.db, this.accountId, this.file.id).catch(() => {});
  }
}

/** CSV and TSV: PostgreSQL writes the delimited text itself (see nativeSelectList); Node fixes row ends and stores it. */
async function exportDelimited(run: ExportRun, delimiter: string): Promise<void> {
  const { exp, accountId } = run;
  await run.inSnapshot(async (tx) => {
    await run.send(createExportWriter(exp.format, run.columns).end()); // the BOM where the format has one, and the header row
    // No ORDER BY: the rows are the same snapshot in any order, and sorting a million of them cost more than the COPY.
    const select = nativeSelectList(run.fields, {
      dateForm: isDateForm(exp.dateForm) ? exp.dateForm : "ymd",
      decimalMark: isDecimalMark(exp.decimalMark) ? exp.decimalMark : ".",
    });
    const unordered =
      exp.segmentId === null
        ? sql`select ${select} from contacts c where c.account_id = ${accountId}`
        : sql`select ${select} from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id
            where m.account_id = ${accountId} and m.segment_id = ${exp.segmentId}`;
    const query = new PgDialect().sqlToQuery(unordered.inlineParams());
    const stream = await tx.unsafe(`copy (${query.sql}) to stdout with (format csv, delimiter E'${delimiter}')`).readable();
    const state = { inQuotes: false };
    const crlf = exp.format !== "tsv";
    // Converted and stored a piece at a time; the event loop gets a turn after each piece (see yieldToLoop).
    await readCopyPieces(stream as AsyncIterable<Buffer>, COPY_PIECE_BYTES, async (piece) => {
      run.stopIfCancelled();
      const { data, rows } = convertRowEnds(piece, state, crlf);
      await run.send(data);
      await run.advance(rows);
      await yieldToLoop();
    });
  });
}

/** XLSX: COPY text goes to the XLSX thread in pieces, and its zip bytes come back to the file store. */
async function exportXlsx(run: ExportRun): Promise<void> {
  const { exp, fields, columns } = run;
  await run.inSnapshot(async (tx) => {
    const dateFormat = DATE_FORM_LABELS[isDateForm(exp.dateForm) ? exp.dateForm : "ymd"];
    const xlsx = (run.thread = new XlsxThread({ fields, columns, options: { dateFormat } }, async (bytes, rows) => {
      await run.send(bytes);
      await run.advance(rows);
    }));
    const select = selectList(
      fields,
      columns.map((c) => c.key),
      exp.segmentId !== null,
      false,
    );
    const query = new PgDialect().sqlToQuery(snapshotQuery(run.accountId, exp.segmentId, select).inlineParams());
    const stream = await tx.unsafe(`copy (${query.sql}) to stdout`).readable();
    await readCopyPieces(stream as AsyncIterable<Buffer>, XLSX_PIECE_BYTES, async (piece) => {
      run.stopIfCancelled();
      await xlsx.push(piece);
    });
    await xlsx.finish();
  });
}

/** JSON Lines: COPY's text parsed back into rows, a piece at a time, and written by the format's writer. */
async function exportJsonLines(run: ExportRun): Promise<void> {
  const { exp, fields, columns } = run;
  const writer = createExportWriter(exp.format, columns);
  await run.inSnapshot(async (tx) => {
    const keys = columns.map((c) => c.key);
    const parsers = columnParsers(fields, true);
    const query = new PgDialect().sqlToQuery(
      snapshotQuery(run.accountId, exp.segmentId, selectList(fields, keys, exp.segmentId !== null, true)).inlineParams(),
    );
    const stream = await tx.unsafe(`copy (${query.sql}) to stdout`).readable();
    const lines = new CopyLines();
    const batch = async (text: string[]) => {
      run.stopIfCancelled();
      if (text.length === 0) return;
      await run.send(writer.write(parseCopyLines(text, keys, parsers)));
      await run.advance(text.length);
      await yieldToLoop();
    };
    await readCopyPieces(stream as AsyncIterable<Buffer>, COPY_READ_BYTES, (piece) => batch(lines.take(piece)));
    await batch(lines.end());
    await run.send(writer.end());
  });
}

/** The export's row and the properties it lists, or a JobError saying why it cannot run. */
async function loadExport(ctx: JobContext): Promise<{ exp: ExportRow; fields: ExportField[] }> {
  const { db, job } = ctx;
  const accountId = job.accountId;
  const exportId = Number((job.params as { exportId?: number }).exportId);
  const [exp] = await db
    .select()
    .from(exportsTable)
    .where(and(eq(exportsTable.accountId, accountId), eq(exportsTable.id, exportId)));
  if (!exp) throw new JobError("This export no longer exists.");
  const format = exp.format;
  if (!isExportFormat(format)) throw new JobError(`Unknown format "${exp.format}".`);
  try {
    const fields = resolveFields(exp.fields, availableFields(await listCustomFields(db, accountId, { order: "created" }), exp.segmentId !== null));
    return { exp: { ...exp, format }, fields };
  } catch (e) {
    if (e instanceof UnknownFieldsError) throw new JobError(`These properties no longer exist: ${e.fields.join(", ")}. Start a new export.`);
    throw e;
  }
}

/** Job handler for kind "export" (params: { exportId }): writes the file by its format's path, then completes the job. */
export async function runExportJob(ctx: JobContext): Promise<ExportResult | undefined> {
  const { db, job } = ctx;
  const { exp, fields } = await loadExport(ctx);
  const accountId = exp.accountId;
  const info = fileInfo(exp.format);
  const started = new Date();
  const fileName = exportFileName(exp.segmentName, started, info.extension);
  const ttlMs = ctx.config.EXPORT_TTL_DAYS * 86_400_000;
  // The file carries an expiry from the start, so the file of an attempt whose worker died is purged too.
  const file = await createFile(db, accountId, { name: fileName, contentType: info.contentType, expiresAt: new Date(started.getTime() + ttlMs) });
  const run = new ExportRun(ctx, exp, fields, exportColumns(fields), file);
  try {
    const delimiter = NATIVE_DELIMITERS[exp.format];
    if (delimiter) await exportDelimited(run, delimiter);
    else if (exp.format === "xlsx") await exportXlsx(run);
    else await exportJsonLines(run);
    run.stopIfCancelled();
    const sizeBytes = run.bytesWritten;
    const expiresAt = new Date(Date.now() + ttlMs);
    await db.transaction(async (t) => {
      await reportProgress(t, job, ctx.workerId, run.done, run.done);
      if (!(await completeJob(t, job, ctx.workerId, { rows: run.done, sizeBytes }))) throw new Error("Export cancelled.");
      await setFileExpiry(t, accountId, file.id, expiresAt);
      await t
        .update(exportsTable)
        .set({ fileId: file.id, fileName, rowsTotal: run.done, sizeBytes, expiresAt, expiredAt: null, completedAt: sql`now()` })
        .where(and(eq(exportsTable.accountId, accountId), eq(exportsTable.id, exp.id)));
    });
    return undefined;
  } catch (e) {
    await run.discard();
    throw e;
  }
}
