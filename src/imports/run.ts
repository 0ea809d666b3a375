// The import jobs: read the kept upload, stage its valid rows (COPY into a temporary table), then count them against contacts and the segment (preview) or apply them, with the segment change its mode makes (add, remove, replace), in the transaction that completes the job.
import { once } from "node:events";
import { Readable, Transform } from "node:stream";
import { sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { queryRows, type Db } from "../db/client";
import * as schema from "../db/schema";
import { neutraliseFormula } from "../exports/formats";
import { createFile, createFileWriter, getFile, openFileStream } from "../files/store";
import { completeJob } from "../jobs/queue";
import { JobError, yieldingEach, yieldToLoop, type JobContext, type JobHandler } from "../jobs/handler";
import { openChangeSet, recordChangeSetCounts } from "../segments/change-sets";
import { addContactsToSegment, lockSegment, removeContactsFromSegment } from "../segments/membership";
import { isTextEncoding, scanEncoding, type TextEncoding } from "./decode";
import type { Delimiter } from "./dialect";
import type { ColumnTarget } from "./headers";
import { openCsvStream, type CsvRecord } from "./parse";
import { getSegmentChoice } from "../segments/choices";
import { getImport, type ImportCounts, type ImportExamples, type ImportRow } from "./queries";
import { validateRow, type ContactValues } from "./validate";
import { getDefaultCountry } from "../auth/accounts";
import { listCustomFields } from "../custom-fields/queries";
import { columnReaders, resolveValueForms } from "./typed-columns";
import { clearImportWriting, markImportWriting, type ImportWriter } from "./writing";

/** How many problems a preview or import keeps in its result to show on the page (the report has them all). */
const SHOWN_PROBLEMS = 10;
const PROGRESS_EVERY_MS = 500;
const PARSE_SLICE_BYTES = 16 * 1024;

/** What a running import's progress reports say: the step it is at and the rows read so far. */
export interface ImportProgress {
  phase: "reading" | "counting" | "writing";
  rows: number;
}

export interface ImportResult extends ImportCounts {
  encoding: TextEncoding;
  problems: { line: number; reason: string }[];
  /** The preview's examples; the import's result has none. */
  examples?: ImportExamples;
}

/** How many examples of each outcome the preview shows. */
const EXAMPLES = 10;

/** Where staged rows go: a COPY stream into the staging table. */
interface Stager {
  add(line: number, values: ContactValues): void;
  flush(): Promise<void>;
  end(): Promise<void>;
  count: number;
}

/** The temporary tables of an import, dropped at the end of its transaction. */
const TABLES = { staging: "import_staging", rows: "import_rows", matches: "import_matches", ids: "import_ids" };
type Tables = typeof TABLES;

// COPY text format: backslash, tab and line breaks escaped; \N is null.
const COPY_SPECIAL = /[\\\t\n\r]/;
function copyText(value: string | null): string {
  if (value === null) return "\\N";
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

function customJson(custom: ContactValues["custom"]): string {
  for (const _ in custom) return JSON.stringify(custom);
  return "{}";
}

const STAGING_COLUMNS = "line int not null, email text not null, email_key text not null, first_name text, last_name text, phone text, custom jsonb not null";

/** The COPY stream is written one parsed batch at a time (about 1,000 rows), waiting whenever the socket is full. */
async function copyStager(conn: postgres.ReservedSql, table: string): Promise<Stager> {
  const stream = await conn.unsafe(`copy ${table} (line, email, email_key, first_name, last_name, phone, custom) from stdin`).writable();
  let buffer = "";
  const stager: Stager = {
    count: 0,
    add(line, v) {
      buffer += `${line}\t${copyText(v.email)}\t${copyText(v.emailKey)}\t${copyText(v.first_name)}\t${copyText(v.last_name)}\t${copyText(v.phone)}\t${copyText(customJson(v.custom))}\n`;
      stager.count++;
    },
    async flush() {
      if (!buffer) return;
      const chunk = buffer;
      buffer = "";
      if (!stream.write(chunk)) await once(stream, "drain");
    },
    async end() {
      await stager.flush();
      const finished = once(stream, "finish");
      stream.end();
      await finished;
    },
  };
  return stager;
}

/** A cell of the error report: formula-like text neutralised as exports do (the importer undoes it), then quoted. */
function csvCell(text: string): string {
  const value = neutraliseFormula(text);
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The error report, written to a file as the rows are read: one line per skipped row with its line number in
 * the file, the reason, and its cells as they were. It keeps only the first few problems in memory.
 */
class ErrorReport {
  problems: { line: number; reason: string }[] = [];
  private pending = "";
  private constructor(
    private writer: ReturnType<typeof createFileWriter> | null,
    readonly fileId: number | null,
  ) {}

  static async open(db: Db, imp: ImportRow, expiresAt: Date | null): Promise<ErrorReport> {
    if (!expiresAt) return new ErrorReport(null, null);
    const file = await createFile(db, imp.accountId, { name: `import-${imp.id}-errors.csv`, contentType: "text/csv", expiresAt });
    const report = new ErrorReport(createFileWriter(db, file), file.id);
    report.pending = `line,reason,${imp.header.map(csvCell).join(",")}\r\n`;
    return report;
  }

  add(record: CsvRecord, reason: string): void {
    if (this.problems.length < SHOWN_PROBLEMS) this.problems.push({ line: record.line, reason });
    if (!this.writer) return;
    const cells = record.error ? csvCell(record.raw) : record.fields.map(csvCell).join(",");
    this.pending += `${record.line},${csvCell(reason)},${cells}\r\n`;
  }

  async flush(): Promise<void> {
    if (!this.writer || !this.pending) return;
    const chunk = this.pending;
    this.pending = "";
    if (!this.writer.write(chunk)) await once(this.writer, "drain");
  }

  async end(): Promise<void> {
    await this.flush();
    if (!this.writer) return;
    const finished = once(this.writer, "finish");
    this.writer.end();
    await finished;
  }
}

/** The kept upload as a byte stream (see openFileStream for why not readFileStream on PostgreSQL). */
function openUpload(ctx: JobContext, imp: ImportRow): Promise<Readable> {
  return openFileStream(ctx.database, imp.accountId, imp.fileId);
}

interface StageCounts {
  rows: number;
  invalid: number;
  blankLines: number;
}

/** Reads the whole kept upload once: every row is either staged or reported, and progress says how far it got. */
async function stageFile(ctx: JobContext, imp: ImportRow, encoding: TextEncoding, stager: Stager, report: ErrorReport): Promise<StageCounts> {
  let bytes = 0;
  // Stored chunks are 1 MiB; parsing them in 64 KiB slices keeps each batch of records small enough to die young
  // in V8's new space instead of being promoted while the COPY write awaits (which doubled the peak RSS). Object
  // mode on the readable side: a byte stream's async iterator would concatenate the slices again.
  const counter = new Transform({
    readableObjectMode: true,
    readableHighWaterMark: 4,
    transform(chunk: Buffer, _enc, callback) {
      bytes += chunk.length;
      for (let at = 0; at < chunk.length; at += PARSE_SLICE_BYTES) this.push(chunk.subarray(at, at + PARSE_SLICE_BYTES));
      callback();
    },
  });
  const source = (await openUpload(ctx, imp)).pipe(counter);
  const csv = await openCsvStream(source, { encoding, delimiter: imp.delimiter as Delimiter });
  const mapping = imp.mapping as ColumnTarget[];
  const country = await getDefaultCountry(ctx.db, imp.accountId);
  const readers = columnReaders(imp.header, mapping, await listCustomFields(ctx.db, imp.accountId), resolveValueForms(imp, country), imp.profiles);
  let rows = 0;
  let invalid = 0;
  // The first batch reports at once, so the status page shows rows, pace and time left from the first second.
  let reported = 0;
  try {
    for await (const batch of csv.batches) {
      if (ctx.signal.aborted) throw new Error("The import was stopped: its worker lost the job.");
      for (const record of batch) {
        rows++;
        const check = validateRow(record, mapping, country, readers);
        if (check.ok) stager.add(record.line, check.values);
        else {
          invalid++;
          report.add(record, check.reason);
        }
      }
      await stager.flush();
      await report.flush();
      await yieldToLoop(); // pages served by this process wait otherwise while the file's chunks are buffered
      if (Date.now() - reported > PROGRESS_EVERY_MS) {
        reported = Date.now();
        await ctx.progress(bytes, imp.sizeBytes, { phase: "reading", rows });
      }
    }
  } catch (e) {
    source.destroy();
    if (e instanceof Error && e.name === "DecodeError") throw new JobError(`The file could not be decoded: ${e.message}.`);
    throw e;
  }
  await stager.end();
  return { rows, invalid, blankLines: csv.blankLines() };
}

/** The valid rows once per email, the last occurrence winning; sorted by email, which also orders the index inserts. */
async function dedupeRows(exec: Db, t: Tables): Promise<number> {
  await exec.execute(
    sql.raw(`create temp table ${t.rows} on commit drop as
      select distinct on (email_key) line, email, email_key, first_name, last_name, phone, custom
      from ${t.staging} order by email_key, line desc`),
  );
  const [row] = await queryRows<{ n: string | number }>(exec, sql.raw(`select count(*) as n from ${t.rows}`));
  return Number(row?.n ?? 0);
}

/** Line of every duplicate row -> why it is skipped (the line of the row that wins). */
async function duplicateLines(exec: Db, t: Tables, into: Map<number, string>): Promise<void> {
  const rows = await queryRows<{ line: number; kept: number }>(
    exec,
    sql.raw(`select s.line, r.line as kept from ${t.staging} s join ${t.rows} r using (email_key) where s.line <> r.line`),
  );
  for (const r of rows) into.set(Number(r.line), `duplicate email: line ${Number(r.kept)} has the same email and is the one imported`);
}

/**
 * The file's rows joined to their contacts (`r` to `c`) by email. A file much smaller than the contacts table probes
 * the email index once per row (the rows are sorted by email, so the probes walk the index in order): the planner
 * hashed the whole table instead, 4.9 s against 1.5 s for 100,000 rows among 1,100,000 contacts. A large file joins.
 */
async function rowsToContacts(exec: Db, imp: ImportRow, t: Tables, distinct: number): Promise<SQL> {
  const [row] = await queryRows<{ n: string | number }>(exec, sql`select greatest(reltuples, 0)::bigint as n from pg_class where oid = 'contacts'::regclass`);
  const rows = sql.raw(t.rows);
  return distinct * 4 <= Number(row?.n ?? 0)
    ? sql`${rows} r cross join lateral (select c.id from contacts c where c.account_id = ${imp.accountId} and lower(c.email) = r.email_key limit 1) c`
    : sql`${rows} r join contacts c on c.account_id = ${imp.accountId} and lower(c.email) = r.email_key`;
}

/** The file's contacts once, by id, with the line of their row: both sides of a replace and a removal read it. */
async function matchIds(exec: Db, imp: ImportRow, t: Tables, distinct: number): Promise<number> {
  await exec.execute(
    sql`create temp table ${sql.raw(t.ids)} on commit drop as
      select c.id, r.line from ${await rowsToContacts(exec, imp, t, distinct)} order by c.id`,
  );
  await exec.execute(sql.raw(`analyze ${t.ids}`));
  const [row] = await queryRows<{ n: string | number }>(exec, sql.raw(`select count(*) as n from ${t.ids}`));
  return Number(row?.n ?? 0);
}

/** Remove (after matchIds): the line of every email of no contact, so that the report lists them (none is created). */
async function notFoundLines(exec: Db, t: Tables, into: Map<number, string>): Promise<void> {
  const rows = await queryRows<{ line: number }>(
    exec,
    sql.raw(`select r.line from ${t.rows} r where not exists (select 1 from ${t.ids} i where i.line = r.line)`),
  );
  for (const r of rows) into.set(Number(r.line), "not in Roster: nothing to remove (no contact was created)");
}

/** Second read of the file, only when rows were set aside after staging (duplicates, not found): they go to the report as they were. */
async function reportLines(ctx: JobContext, imp: ImportRow, encoding: TextEncoding, reasons: Map<number, string>, report: ErrorReport): Promise<void> {
  const csv = await openCsvStream(await openUpload(ctx, imp), { encoding, delimiter: imp.delimiter as Delimiter });
  // Read to the end even once all are found: a COPY stream left half-read would keep its connection busy.
  for await (const batch of csv.batches) {
    for (const record of batch) {
      const reason = reasons.get(record.line);
      if (reason !== undefined) report.add(record, reason);
    }
    await report.flush();
  }
}

/** The field values an overwrite would leave: a non-empty cell wins, an empty one keeps what is there. */
const MERGED = (n: string, c: string) =>
  `(coalesce(${n}.first_name, ${c}.first_name), coalesce(${n}.last_name, ${c}.last_name), coalesce(${n}.phone, ${c}.phone), ${c}.custom || ${n}.custom)`;
const CURRENT = (c: string) => `(${c}.first_name, ${c}.last_name, ${c}.phone, ${c}.custom)`;

/** What the preview counts: the row outcomes and the segment's change, with examples. */
interface PreviewCounts {
  created: number;
  updated: number;
  found: number;
  segment: SegmentCounts;
  examples: ImportExamples;
}

/** The segment's side of an import, in every mode (all zero without a segment). */
interface SegmentCounts {
  joined: number;
  left: number;
  notFound: number;
  alreadyMembers: number;
  notMembers: number;
  membersBefore: number;
}

const NO_SEGMENT: SegmentCounts = { joined: 0, left: 0, notFound: 0, alreadyMembers: 0, notMembers: 0, membersBefore: 0 };

async function emails(exec: Db, query: ReturnType<typeof sql>): Promise<string[]> {
  return (await queryRows<{ email: string }>(exec, query)).map((r) => r.email);
}

/**
 * Preview: what applying would do, with read-only queries. Each distinct row is matched to its contact once
 * (a temporary table), then counted against the segment: joins, leaves and unchanged members, ten of each.
 */
async function countPreview(exec: Db, imp: ImportRow, t: Tables): Promise<PreviewCounts> {
  const changed = imp.overwrite ? `${MERGED("r", "c")} is distinct from ${CURRENT("c")}` : "false";
  const segmentId = imp.segmentId ?? 0;
  await exec.execute(
    sql`create temp table ${sql.raw(t.matches)} on commit drop as
      select r.email, c.id as contact_id, c.id is not null and ${sql.raw(changed)} as changes,
        c.id is not null and exists (select 1 from segment_members m where m.account_id = ${imp.accountId} and m.segment_id = ${segmentId} and m.contact_id = c.id) as member
      from ${sql.raw(t.rows)} r left join contacts c on c.account_id = ${imp.accountId} and lower(c.email) = r.email_key`,
  );
  const [row] = await queryRows<Record<string, string | number>>(
    exec,
    sql`select count(*) filter (where contact_id is null) as missing, count(*) filter (where changes) as updated,
        count(*) filter (where member) as members, count(*) as total,
        (select member_count from segments where account_id = ${imp.accountId} and id = ${segmentId}) as members_before
      from ${sql.raw(t.matches)}`,
  );
  const n = (k: string) => Number(row?.[k] ?? 0);
  const [missing, members, total, membersBefore] = [n("missing"), n("members"), n("total"), n("members_before")];
  const m = sql.raw(t.matches);
  // Members of the segment that are not in the file: they leave on Replace and stay on Remove.
  const notInFile = sql`select c.email from segment_members sm join contacts c on c.account_id = sm.account_id and c.id = sm.contact_id
    where sm.account_id = ${imp.accountId} and sm.segment_id = ${segmentId}
      and not exists (select 1 from ${m} x where x.contact_id = sm.contact_id)
    order by sm.contact_id limit ${EXAMPLES}`;
  const examples: ImportExamples = { joins: [], leaves: [], unchanged: [], not_found: [] };
  const segmentChosen = imp.segmentId !== null || imp.newSegmentName !== null;
  let segment = NO_SEGMENT;
  if (imp.mode === "remove") {
    const found = total - missing;
    segment = { ...NO_SEGMENT, left: members, notFound: missing, notMembers: found - members, membersBefore };
    examples.leaves = await emails(exec, sql`select email from ${m} where member order by email limit ${EXAMPLES}`);
    examples.not_found = await emails(exec, sql`select email from ${m} where contact_id is null order by email limit ${EXAMPLES}`);
    examples.unchanged = imp.segmentId ? await emails(exec, notInFile) : [];
    return { created: 0, updated: 0, found, segment, examples };
  }
  if (segmentChosen) {
    const left = imp.mode === "replace" ? membersBefore - members : 0;
    segment = { ...NO_SEGMENT, joined: total - members, alreadyMembers: members, left, membersBefore };
    examples.joins = await emails(exec, sql`select email from ${m} where not member order by email limit ${EXAMPLES}`);
    examples.unchanged = await emails(exec, sql`select email from ${m} where member order by email limit ${EXAMPLES}`);
    if (imp.mode === "replace" && imp.segmentId) examples.leaves = await emails(exec, notInFile);
  }
  return { created: missing, updated: n("updated"), found: total - missing, segment, examples };
}

/**
 * The set-based upsert. Overwrite off: existing contacts are left alone (DO NOTHING). On: non-empty cells win,
 * empty cells keep the stored value, and the IS DISTINCT FROM guard skips rows that would not change (half
 * the cost and far less WAL on a re-import). Unmapped fields are null in staging, so they are never touched.
 */
async function upsertRows(exec: Db, imp: ImportRow, t: Tables): Promise<{ created: number; updated: number }> {
  const conflict = imp.overwrite
    ? `do update set first_name = coalesce(excluded.first_name, c.first_name), last_name = coalesce(excluded.last_name, c.last_name),
         phone = coalesce(excluded.phone, c.phone), custom = c.custom || excluded.custom, updated_at = now()
       where ${MERGED("excluded", "c")} is distinct from ${CURRENT("c")}`
    : "do nothing";
  const [row] = await queryRows<{ created: string | number; updated: string | number }>(
    exec,
    sql`with written as (
        insert into contacts as c (account_id, email, first_name, last_name, phone, custom)
        select ${imp.accountId}, email, first_name, last_name, phone, custom from ${sql.raw(t.rows)}
        on conflict (account_id, lower(email)) ${sql.raw(conflict)}
        returning (xmax = 0) as created
      )
      select count(*) filter (where created) as created, count(*) filter (where not created) as updated from written`,
  );
  return { created: Number(row?.created ?? 0), updated: Number(row?.updated ?? 0) };
}

/**
 * The encoding the whole file is read with: the one the person chose; else a BOM from the head is final; otherwise
 * one pass checks every byte is UTF-8.
 */
async function fileEncoding(ctx: JobContext, imp: ImportRow): Promise<TextEncoding> {
  if (isTextEncoding(imp.encodingChoice)) return imp.encodingChoice;
  if (imp.encoding === "utf-16le" || imp.encoding === "utf-16be") return imp.encoding;
  return scanEncoding(yieldingEach(await openUpload(ctx, imp)));
}

async function loadImport(ctx: JobContext): Promise<ImportRow> {
  const importId = Number(ctx.job.params.importId);
  const imp = await getImport(ctx.db, ctx.job.accountId, importId);
  if (!imp) throw new JobError(`Import #${importId} no longer exists.`);
  const file = await getFile(ctx.db, imp.accountId, imp.fileId);
  if (!file || !file.complete) throw new JobError("The uploaded file is no longer kept (uploads are kept for a limited time): upload it again.");
  return imp;
}

/**
 * Runs `work` with the staging tables on one reserved connection inside one transaction, from the first COPY to the
 * commit: a process that dies mid-import leaves nothing behind and the retry starts clean. Progress and the error
 * report go through the pool meanwhile.
 */
async function withStaging<T>(ctx: JobContext, commit: boolean, work: (io: { exec: Db; stager: Stager; tables: Tables }) => Promise<T>): Promise<T> {
  const { sql: client } = ctx.database;
  const conn = await client.reserve();
  try {
    await conn.unsafe("begin");
    // drizzle reads the client's parser options, which a reserved connection shares with its pool but lacks.
    const exec: Db = drizzle(Object.assign(conn, { options: client.options }), { schema });
    await conn.unsafe(`create temp table ${TABLES.staging} (${STAGING_COLUMNS}) on commit drop`);
    const stager = await copyStager(conn, TABLES.staging);
    const out = await work({ exec, stager, tables: TABLES });
    await conn.unsafe(commit ? "commit" : "rollback");
    return out;
  } catch (e) {
    await conn.unsafe("rollback").catch(() => {});
    throw e;
  } finally {
    conn.release();
  }
}

/** The counts of a preview or a run, rows and segment alike: every row in one outcome, every member counted. */
function resultCounts(imp: ImportRow, staged: StageCounts, distinct: number, created: number, updated: number, segment: SegmentCounts) {
  return {
    rows: staged.rows,
    created,
    updated,
    unchanged: distinct - created - updated - segment.notFound,
    invalid: staged.invalid,
    blank_lines: staged.blankLines,
    mode: imp.mode,
    joined: segment.joined,
    left: segment.left,
    not_found: segment.notFound,
    already_members: segment.alreadyMembers,
    not_members: segment.notMembers,
    members_before: segment.membersBefore,
    members_after: segment.membersBefore + segment.joined - segment.left,
    added_to_segment: segment.joined,
    already_in_segment: segment.alreadyMembers,
  };
}

/**
 * The segment's change, in the import's transaction: the segment is locked first (a statement of its own, so the
 * statements after it see every change committed before), the change set "import #N" opened, then the change made
 * through membership.ts. Add: the file's contacts join. Remove: those that are members leave; emails of no
 * contact are counted, never created. Replace: members not in the file leave, then the file's contacts join.
 */
async function changeSegment(exec: Db, imp: ImportRow, segmentId: number, t: Tables, distinct: number, matched: number | null): Promise<SegmentCounts> {
  const segment = await lockSegment(exec, imp.accountId, segmentId);
  if (!segment) throw new JobError(`The segment "${imp.segmentName ?? segmentId}" was deleted while the import ran: nothing was imported.`);
  const { changeSet, source } = await openChangeSet(exec, imp.accountId, {
    kind: "import",
    segmentId,
    segmentName: segment.name,
    sourceType: "import",
    sourceId: imp.id,
    label: `import #${imp.id}`,
    createdByLabel: imp.createdByLabel,
  });
  const counts = { ...NO_SEGMENT, membersBefore: segment.memberCount };
  if (imp.mode === "add") {
    const r = await addContactsToSegment(
      exec,
      imp.accountId,
      segmentId,
      // Ordered by id so that the distinct step keeps the order and the members' index is written (or probed,
      // on a re-import) in key order: about twice as fast as the random order of a hashed distinct.
      sql`select c.id from ${await rowsToContacts(exec, imp, t, distinct)} order by c.id`,
      source,
    );
    Object.assign(counts, { joined: r.added, alreadyMembers: r.alreadyMembers });
  } else {
    // Remove matched the file before its report (which lists the emails of no contact); Replace matches it now,
    // once its new contacts exist.
    const found = matched ?? (await matchIds(exec, imp, t, distinct));
    const ids = sql.raw(t.ids);
    if (imp.mode === "remove") {
      const r = await removeContactsFromSegment(exec, imp.accountId, segmentId, sql`select id from ${ids}`, source);
      Object.assign(counts, { left: r.removed, notMembers: found - r.removed, notFound: distinct - found });
    } else {
      const leaving = sql`select m.contact_id from segment_members m
        where m.account_id = ${imp.accountId} and m.segment_id = ${segmentId} and not exists (select 1 from ${ids} i where i.id = m.contact_id)`;
      const left = await removeContactsFromSegment(exec, imp.accountId, segmentId, leaving, source);
      // Only the file's contacts that are not members yet: the members already in it are not written again.
      const joining = sql`select i.id from ${ids} i
        where not exists (select 1 from segment_members m where m.account_id = ${imp.accountId} and m.segment_id = ${segmentId} and m.contact_id = i.id)
        order by i.id`;
      const joined = await addContactsToSegment(exec, imp.accountId, segmentId, joining, source);
      Object.assign(counts, { left: left.removed, joined: joined.added, alreadyMembers: found - joined.added });
    }
  }
  await recordChangeSetCounts(exec, imp.accountId, changeSet.id, { joined: counts.joined, left: counts.left });
  await exec.execute(sql`update imports set change_set_id = ${changeSet.id} where account_id = ${imp.accountId} and id = ${imp.id}`);
  return counts;
}

function problemsOf(report: ErrorReport) {
  return report.problems;
}

/** Dry run: the same staging and deduplication as the import, then counts only; nothing is written to contacts. */
export const runImportPreviewJob: JobHandler<"import_preview"> = async (ctx) => {
  const imp = await loadImport(ctx);
  const encoding = await fileEncoding(ctx, imp);
  return withStaging(ctx, false, async ({ exec, stager, tables }) => {
    const report = await ErrorReport.open(ctx.db, imp, null);
    const staged = await stageFile(ctx, imp, encoding, stager, report);
    await ctx.progress(imp.sizeBytes, imp.sizeBytes, { phase: "counting", rows: staged.rows });
    const distinct = await dedupeRows(exec, tables);
    const counts = await countPreview(exec, imp, tables);
    const result: ImportResult = {
      ...resultCounts(imp, staged, distinct, counts.created, counts.updated, counts.segment),
      duplicates: stager.count - distinct,
      error_file_id: null,
      encoding,
      problems: problemsOf(report),
      examples: counts.examples,
    };
    return result;
  });
};

/** Lost the job to another worker (its lease lapsed): roll back, the other worker applies it. */
class JobLostError extends Error {}

/** The import: every effect (contacts, segment members and history, the job's completion) in one transaction. */
export const runImportJob: JobHandler<"import"> = async (ctx) => {
  const imp = await loadImport(ctx);
  if (imp.segmentId !== null && !(await getSegmentChoice(ctx.db, imp.accountId, imp.segmentId, { staticOnly: true }))) {
    throw new JobError(`The segment "${imp.segmentName ?? imp.segmentId}" was deleted after the import was set up: nothing was imported.`);
  }
  const encoding = await fileEncoding(ctx, imp);
  const ttlDays = ctx.config.IMPORT_TTL_DAYS;
  const report = await ErrorReport.open(ctx.db, imp, new Date(Date.now() + ttlDays * 86_400_000));
  let writer: ImportWriter | null = null;
  const lost = await withStaging(ctx, true, async ({ exec, stager, tables }) => {
    const staged = await stageFile(ctx, imp, encoding, stager, report);
    await ctx.progress(imp.sizeBytes, imp.sizeBytes, { phase: "writing", rows: staged.rows });
    const distinct = await dedupeRows(exec, tables);
    const duplicates = stager.count - distinct;
    const setAside = new Map<number, string>();
    if (duplicates > 0) await duplicateLines(exec, tables, setAside);
    const matched = imp.mode === "remove" && imp.segmentId !== null ? await matchIds(exec, imp, tables, distinct) : null;
    if (matched !== null && matched < distinct) await notFoundLines(exec, tables, setAside);
    if (setAside.size > 0) await reportLines(ctx, imp, encoding, setAside, report);
    await report.end();
    // The writes join the staging transaction: contacts, members, history and the job's completion commit together.
    // Remove never creates or changes a contact.
    if (imp.mode !== "remove") writer = await markImportWriting(ctx.db, exec, imp.accountId, imp.id);
    const written = imp.mode === "remove" ? { created: 0, updated: 0 } : await upsertRows(exec, imp, tables);
    const segment = imp.segmentId !== null ? await changeSegment(exec, imp, imp.segmentId, tables, distinct, matched) : NO_SEGMENT;
    const result: ImportResult = {
      ...resultCounts(imp, staged, distinct, written.created, written.updated, segment),
      duplicates,
      error_file_id: report.fileId,
      encoding,
      problems: problemsOf(report),
    };
    if (!(await completeJob(exec, ctx.job, ctx.workerId, result))) throw new JobLostError();
    return false;
  })
    .catch((e) => {
      if (e instanceof JobLostError) return true;
      throw e;
    })
    .finally(() => (writer ? clearImportWriting(ctx.db, imp.accountId, imp.id, writer) : undefined));
  if (lost) throw new Error("Another worker took over this import; its changes were rolled back.");
  return undefined;
};
