// Export file formats: turns batches of rows into the bytes of a CSV, TSV, JSONL or XLSX file, incrementally.
import { Transform } from "node:stream";
import { createXlsxWriter, type XlsxWriterOptions } from "./xlsx";

export const EXPORT_FORMATS = ["csv", "csv_excel", "tsv", "jsonl", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_COLUMN_TYPES = ["text", "number", "date", "boolean", "datetime"] as const;
export type ExportColumnType = (typeof EXPORT_COLUMN_TYPES)[number];

export interface ExportColumn {
  /** Key of the value in each row, and the key of the JSONL objects. */
  key: string;
  /** Header cell of the CSV, TSV and XLSX files. */
  label: string;
  type: ExportColumnType;
}

/** One contact as read from the database: values by column key (strings, numbers, booleans, Dates, null). */
export type ExportRow = Readonly<Record<string, unknown>>;

/**
 * Formats one file. Feed it batches in order, then call end() once.
 * Output is gathered into chunks of roughly 100 KiB to 1 MiB, so write() often returns an empty buffer:
 * store or send every non-empty buffer, in order, and the last one from end(). Nothing is kept per row,
 * so memory stays flat however many rows go through.
 */
export interface ExportWriter {
  write(rows: readonly ExportRow[]): Buffer;
  end(): Buffer;
}

export interface ExportWriterOptions extends XlsxWriterOptions {
  /** Text formats hand out a chunk once this many characters are pending (default 256 Ki). */
  chunkChars?: number;
}

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === "string" && (EXPORT_FORMATS as readonly string[]).includes(value);
}

const FILE_INFO: Record<ExportFormat, { extension: string; contentType: string }> = {
  csv: { extension: "csv", contentType: "text/csv; charset=utf-8" },
  csv_excel: { extension: "csv", contentType: "text/csv; charset=utf-8" },
  tsv: { extension: "tsv", contentType: "text/tab-separated-values; charset=utf-8" },
  jsonl: { extension: "jsonl", contentType: "application/jsonl" },
  xlsx: { extension: "xlsx", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
};

export function fileInfo(format: ExportFormat): { extension: string; contentType: string } {
  return FILE_INFO[format];
}

// Spreadsheet formula injection (OWASP "CSV Injection"). A cell starting with = + - @ tab or CR may be run
// as a formula by Excel, LibreOffice or Google Sheets. We prefix such text with a single quote, except
// when it is a plain number or phone number: a sign followed only by digits, spaces, . , ( ) / and -.
// Without letters, "|" or "!" such a value can reference no cell, call no function and reach no other
// program (DDE); at worst a spreadsheet computes arithmetic on the literals. So "+33 6 12 34 56 78" and
// "-12.5" stay as they are, while "=1+1", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0" and "+1-800-FLOWERS" are
// prefixed.
// Round trip: a value that already starts with quotes followed by a trigger ("'=x") is prefixed too, so
// restoreNeutralisedFormula (strip one quote when quotes are followed by a trigger) is the exact inverse,
// and a CSV export imported back with it gives the stored values unchanged.
// XLSX needs no prefix: its cells keep their exact value and get Excel's quotePrefix style (xlsx.ts).
// JSONL is left alone: it is read by programs, not spreadsheets.
const FORMULA_START = /^'*[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-][\d .,()/\u00a0-]*\d[\d .,()/\u00a0-]*$/;
const NEUTRALISED = /^'+[=+\-@\t\r]/;

export function neutraliseFormula(value: string): string {
  const c = value.charCodeAt(0);
  // Nearly no value starts with ' = + - @ tab or CR: test the first character before any regex.
  if (c !== 39 && c !== 61 && c !== 43 && c !== 45 && c !== 64 && c !== 9 && c !== 13) return value;
  if (!FORMULA_START.test(value) || PLAIN_NUMBER.test(value)) return value;
  return "'" + value;
}

/** The inverse of neutraliseFormula, for the importer. */
export function restoreNeutralisedFormula(value: string): string {
  return NEUTRALISED.test(value) ? value.slice(1) : value;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
const MS_PER_DAY = 86_400_000;

/**
 * ISO 8601 in UTC: "2024-03-01" for dates, "2024-03-01T08:30:00.000Z" for date-times (Date#toISOString).
 * Computed from the time value (Hinnant's days-to-civil), which costs far less than toISOString on every cell;
 * years outside 0000-9999 go through toISOString.
 */
export function formatDate(date: Date, type: ExportColumnType): string {
  const ms = date.getTime();
  if (!(ms >= -62_167_219_200_000 && ms < 253_402_300_800_000))
    return Number.isNaN(ms) ? "" : type === "date" ? date.toISOString().split("T")[0]! : date.toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const ymd = TWO_DIGITS[Math.floor(year / 100)]! + TWO_DIGITS[year % 100] + "-" + TWO_DIGITS[month] + "-" + TWO_DIGITS[day];
  if (type === "date") return ymd;
  let rest = ms - days * MS_PER_DAY;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  return ymd + "T" + TWO_DIGITS[Math.floor(rest / 60)] + ":" + TWO_DIGITS[rest % 60] + ":" + TWO_DIGITS[second] + "." + THREE_DIGITS[milli] + "Z";
}

/**
 * The text of a value in CSV and TSV. Strings are written as stored (a date custom field already holds
 * "2024-03-01"); only strings are neutralised, since numbers, booleans and dates we format cannot be formulas.
 */
function formatText(value: unknown, type: ExportColumnType): string {
  switch (typeof value) {
    case "string":
      return neutraliseFormula(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return String(value);
    case "undefined":
      return "";
    case "object":
      if (value === null) return "";
      if (value instanceof Date) return formatDate(value, type);
      return neutraliseFormula(JSON.stringify(value));
    default:
      return neutraliseFormula(String(value));
  }
}

interface Dialect {
  delimiter: string;
  newline: string;
  bom: boolean;
  needsQuotes: RegExp;
}

// CSV uses CRLF, as RFC 4180 says and as Excel writes it; every CSV reader accepts it.
// TSV and JSONL use LF: they are read by line-oriented tools (cut, awk, jq) where a CR would stick to the
// last field. A tab or newline inside a TSV value is quoted exactly as CSV does, so one parser with a tab
// delimiter (Roster's importer, Excel, LibreOffice, Python's csv) reads both; backslash escapes would show
// as-is in a spreadsheet.
const DIALECTS: Record<"csv" | "csv_excel" | "tsv", Dialect> = {
  csv: { delimiter: ",", newline: "\r\n", bom: false, needsQuotes: /[",\r\n]/ },
  // Excel in most European locales splits on ";" and reads a file as UTF-8 only when it starts with a BOM.
  csv_excel: { delimiter: ";", newline: "\r\n", bom: true, needsQuotes: /[";\r\n]/ },
  tsv: { delimiter: "\t", newline: "\n", bom: false, needsQuotes: /["\t\r\n]/ },
};

const EMPTY = Buffer.alloc(0);
const DEFAULT_CHUNK_CHARS = 256 * 1024;

/** Text written row by row and handed out as UTF-8 once about `chunkChars` are pending (the text writers' output). */
function textChunks(chunkChars: number, pending = "") {
  const take = () => {
    const chunk = Buffer.from(pending, "utf8");
    pending = "";
    return chunk;
  };
  return {
    add(text: string) {
      pending += text;
    },
    /** The pending text once there is enough of it, else nothing yet. */
    ready: () => (pending.length >= chunkChars ? take() : EMPTY),
    take,
  };
}

function createDelimitedWriter(columns: readonly ExportColumn[], dialect: Dialect, chunkChars: number): ExportWriter {
  const { delimiter, newline, needsQuotes } = dialect;
  const keys = columns.map((c) => c.key);
  const types = columns.map((c) => c.type);
  const field = (text: string) => (needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const out = textChunks(chunkChars, (dialect.bom ? "\uFEFF" : "") + columns.map((c) => field(neutraliseFormula(c.label))).join(delimiter) + newline);
  return {
    write(rows) {
      for (const row of rows) {
        let line = field(formatText(row[keys[0]!], types[0]!));
        for (let i = 1; i < keys.length; i++) line += delimiter + field(formatText(row[keys[i]!], types[i]!));
        out.add(line + newline);
      }
      return out.ready();
    },
    end: out.take,
  };
}

function formatJson(value: unknown, type: ExportColumnType): string {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "bigint":
      return Number.isSafeInteger(Number(value)) ? String(value) : JSON.stringify(String(value));
    case "undefined":
      return "null";
    case "object":
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? "null" : JSON.stringify(formatDate(value, type));
      return JSON.stringify(value) ?? "null";
    default:
      return JSON.stringify(value) ?? "null";
  }
}

// One object per line with every column key, in column order; a missing value is null. Not neutralised:
// JSON is read by programs, not spreadsheets.
function createJsonlWriter(columns: readonly ExportColumn[], chunkChars: number): ExportWriter {
  const keys = columns.map((c) => c.key);
  const types = columns.map((c) => c.type);
  const prefixes = columns.map((c, i) => (i === 0 ? "{" : ",") + JSON.stringify(c.key) + ":");
  const out = textChunks(chunkChars);
  return {
    write(rows) {
      for (const row of rows) {
        let line = "";
        for (let i = 0; i < keys.length; i++) line += prefixes[i] + formatJson(row[keys[i]!], types[i]!);
        out.add(line + "}\n");
      }
      return out.ready();
    },
    end: out.take,
  };
}

/** The synchronous core: one writer per file. See ExportWriter for how to use its output. */
export function createExportWriter(format: ExportFormat, columns: readonly ExportColumn[], options: ExportWriterOptions = {}): ExportWriter {
  if (columns.length === 0) throw new Error("An export needs at least one column");
  const chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  switch (format) {
    case "csv":
    case "csv_excel":
    case "tsv":
      return createDelimitedWriter(columns, DIALECTS[format], chunkChars);
    case "jsonl":
      return createJsonlWriter(columns, chunkChars);
    case "xlsx":
      return createXlsxWriter(columns, options);
  }
}

/**
 * The same writer as a Transform: write arrays of rows (one batch from the database cursor per write),
 * read Buffers. Backpressure is the stream's own: pipeline() stops pulling batches while the reader is slow.
 */
export function createExportStream(format: ExportFormat, columns: readonly ExportColumn[], options: ExportWriterOptions = {}): Transform {
  const writer = createExportWriter(format, columns, options);
  return new Transform({
    writableObjectMode: true,
    transform(rows: readonly ExportRow[], _encoding, callback) {
      try {
        const chunk = writer.write(rows);
        callback(null, chunk.length > 0 ? chunk : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        callback(null, writer.end());
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
