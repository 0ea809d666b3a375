// Streaming XLSX writing: sheet XML made row by row, deflated in pieces into a zip written front to back.
import { constants as zlibConstants, crc32, deflateRawSync } from "node:zlib";
import type { ExportColumn, ExportColumnType, ExportWriter } from "./formats";

export interface XlsxWriterOptions {
  /** Rows per sheet, header included (Excel's limit, 1,048,576). Later rows go on to Sheet2, Sheet3... */
  sheetRowLimit?: number;
  /**
   * zlib level. Default 1: on 1M rows it deflates 7x faster than level 6 for a file 20% larger
   * (bench/export-format.ts), and an export is written once and downloaded a few times.
   */
  compressionLevel?: number;
  /** Uncompressed XML bytes per sheet before a new sheet starts (default 3.75 GiB, see SHEET_BYTE_LIMIT). */
  sheetByteLimit?: number;
  /** The number format of date cells (custom date fields): "yyyy-mm-dd" (default), "dd/mm/yyyy" or "mm/dd/yyyy". */
  dateFormat?: string;
}

export const EXCEL_MAX_ROWS = 1_048_576;
// Excel refuses a cell longer than this; longer text is cut to it.
const EXCEL_MAX_CELL_CHARS = 32_767;
// Every zip entry stays under 4 GiB, so the file never needs Zip64 (Excel is fussy about Zip64 records).
// The margin covers the row being written when the limit is checked.
const SHEET_BYTE_LIMIT = 0xffffffff - 256 * 1024 * 1024;
// Sheet XML is deflated once this many characters are pending: big enough for a good ratio with a fresh
// compressor per piece, small enough to keep memory flat.
const DEFLATE_CHARS = 1024 * 1024;

// Cell styles (indexes into cellXfs of STYLES_XML).
const STYLE_DATE = 1;
const STYLE_DATETIME = 2;
const STYLE_TEXT_QUOTED = 3;
const STYLE_HEADER = 4;

const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const ROOT_RELS_XML =
  XML_DECL + `<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

// quotePrefix is what Excel records when a user types a leading apostrophe: the cell stays text even when
// edited, and its value is unchanged. It is how formula-looking text is neutralised in XLSX.
const stylesXml = (dateFormat: string) =>
  XML_DECL +
  `<styleSheet xmlns="${MAIN_NS}">` +
  `<numFmts count="2"><numFmt numFmtId="164" formatCode="${dateFormat}"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="5">' +
  '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" quotePrefix="1"/>' +
  "</cellXfs>" +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  "</styleSheet>";

function sheetStartXml(columnCount: number): string {
  return (
    XML_DECL +
    `<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>' +
    `<cols><col min="1" max="${columnCount}" width="20" customWidth="1"/></cols>` +
    "<sheetData>"
  );
}
const SHEET_END_XML = "</sheetData></worksheet>";

function workbookXml(sheetCount: number): string {
  let sheets = "";
  for (let i = 1; i <= sheetCount; i++) sheets += `<sheet name="Sheet${i}" sheetId="${i}" r:id="rId${i}"/>`;
  return XML_DECL + `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>${sheets}</sheets></workbook>`;
}

function workbookRelsXml(sheetCount: number): string {
  let rels = "";
  for (let i = 1; i <= sheetCount; i++) rels += `<Relationship Id="rId${i}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i}.xml"/>`;
  rels += `<Relationship Id="rId${sheetCount + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>`;
  return XML_DECL + `<Relationships xmlns="${PKG_REL_NS}">${rels}</Relationships>`;
}

function contentTypesXml(sheetCount: number): string {
  const ct = "application/vnd.openxmlformats-officedocument.spreadsheetml";
  let overrides = `<Override PartName="/xl/workbook.xml" ContentType="${ct}.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="${ct}.styles+xml"/>`;
  for (let i = 1; i <= sheetCount; i++) overrides += `<Override PartName="/xl/worksheets/sheet${i}.xml" ContentType="${ct}.worksheet+xml"/>`;
  return (
    XML_DECL +
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
    overrides +
    "</Types>"
  );
}

// Characters XML cannot hold or would alter (a raw CR becomes LF when parsed) are written as Excel's
// _xHHHH_ escapes, and a literal "_x0041_" in the text is itself escaped, so Excel shows the exact value.
const XML_SPECIAL = /[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_/;
const XML_SPECIAL_ALL = new RegExp(XML_SPECIAL.source, "g");

function escapeXmlChar(match: string): string {
  if (match === "&") return "&amp;";
  if (match === "<") return "&lt;";
  if (match === ">") return "&gt;";
  if (match.length > 1) return "_x005F" + match;
  return "_x" + match.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") + "_";
}

function inlineStringCell(ref: string, text: string, style: number): string {
  if (text.length > EXCEL_MAX_CELL_CHARS) text = text.slice(0, EXCEL_MAX_CELL_CHARS);
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  // Spreadsheet formula injection: = + - @ tab CR. The style marks the cell as typed text; its value is kept.
  if (style === 0 && (first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13)) style = STYLE_TEXT_QUOTED;
  const escaped = XML_SPECIAL.test(text) ? text.replace(XML_SPECIAL_ALL, escapeXmlChar) : text;
  // Leading or trailing whitespace is dropped by XML readers unless preserved.
  const space = first <= 32 || last <= 32 ? ' xml:space="preserve"' : "";
  return `<c r="${ref}"${style ? ` s="${style}"` : ""} t="inlineStr"><is><t${space}>${escaped}</t></is></c>`;
}

const MS_PER_DAY = 86_400_000;
// Excel serial 25569 is 1970-01-01. Serials before 61 (1900-03-01) are skewed by Excel's fictitious
// 1900-02-29, and Excel has no date after 9999-12-31: such dates are written as ISO text instead.
const FIRST_SERIAL_MS = Date.UTC(1900, 2, 1);
const LAST_SERIAL_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function cellText(value: unknown, type: ExportColumnType): string {
  if (typeof value === "string") return value;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return "";
    return type === "date" ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function dateMs(value: unknown, type: ExportColumnType): number | null {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value !== "string") return null;
  else if (type === "date") {
    const m = ISO_DATE.exec(value);
    if (!m) return null;
    ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== value) return null; // 2024-02-30 and the like
  } else if (ISO_DATETIME.test(value)) ms = Date.parse(value);
  else return null;
  if (!(ms >= FIRST_SERIAL_MS && ms <= LAST_SERIAL_MS)) return null;
  // Dates are written in UTC, like the ISO 8601 of the text formats: a calendar day never shifts.
  return type === "date" ? Math.floor(ms / MS_PER_DAY) * MS_PER_DAY : ms;
}

// Numbers, booleans and dates are real cells: they sort, filter and sum. Dates are serials with an ISO
// format (yyyy-mm-dd, yyyy-mm-dd hh:mm:ss, UTC), so a user sees ISO 8601 in any locale and can still
// compute with them. A value that does not fit its column's type is written as text, never dropped.
type CellWriter = (ref: string, value: unknown) => string;

function createCellWriter(type: ExportColumnType): CellWriter {
  const text = (ref: string, value: unknown) => inlineStringCell(ref, cellText(value, type), 0);
  switch (type) {
    case "number":
      return (ref, value) => {
        if (value === null || value === undefined || value === "") return "";
        if (typeof value === "number" && Number.isFinite(value)) return `<c r="${ref}"><v>${value}</v></c>`;
        if ((typeof value === "string" && DECIMAL.test(value)) || typeof value === "bigint") return `<c r="${ref}"><v>${Number(value)}</v></c>`;
        return text(ref, value);
      };
    case "boolean":
      return (ref, value) => {
        if (value === null || value === undefined || value === "") return "";
        if (value === true || value === "true") return `<c r="${ref}" t="b"><v>1</v></c>`;
        if (value === false || value === "false") return `<c r="${ref}" t="b"><v>0</v></c>`;
        return text(ref, value);
      };
    case "date":
    case "datetime": {
      const style = type === "date" ? STYLE_DATE : STYLE_DATETIME;
      return (ref, value) => {
        if (value === null || value === undefined || value === "") return "";
        const ms = dateMs(value, type);
        if (ms === null) return text(ref, value);
        return `<c r="${ref}" s="${style}"><v>${ms / MS_PER_DAY + 25569}</v></c>`;
      };
    }
    case "text":
      return (ref, value) => {
        if (value === null || value === undefined || value === "") return "";
        return text(ref, value);
      };
  }
}

export function columnName(index: number): string {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

export function createXlsxWriter(columns: readonly ExportColumn[], options: XlsxWriterOptions = {}): ExportWriter {
  const rowLimit = options.sheetRowLimit ?? EXCEL_MAX_ROWS;
  const byteLimit = options.sheetByteLimit ?? SHEET_BYTE_LIMIT;
  if (!Number.isInteger(rowLimit) || rowLimit < 2 || rowLimit > EXCEL_MAX_ROWS) throw new Error(`sheetRowLimit must be an integer from 2 to ${EXCEL_MAX_ROWS}`);
  const zip = new ZipWriter(options.compressionLevel ?? 1);
  const keys = columns.map((c) => c.key);
  const refs = columns.map((_, i) => columnName(i));
  const cells = columns.map((c) => createCellWriter(c.type));
  const sheetStart = sheetStartXml(columns.length);
  const headerCells = columns.map((c, i) => inlineStringCell(refs[i] + "1", c.label, STYLE_HEADER)).join("");

  const out: Buffer[] = [zip.addFile("_rels/.rels", ROOT_RELS_XML), zip.addFile("xl/styles.xml", stylesXml(options.dateFormat ?? "yyyy-mm-dd"))];
  let sheetCount = 0;
  let sheetOpen = false;
  let rowNumber = 0;
  let sheetBytes = 0;
  let pending = "";

  const openSheet = () => {
    sheetCount++;
    out.push(zip.startEntry(`xl/worksheets/sheet${sheetCount}.xml`));
    pending = sheetStart + `<row r="1">${headerCells}</row>`;
    rowNumber = 1;
    sheetBytes = 0;
    sheetOpen = true;
  };
  const deflatePending = () => {
    const xml = Buffer.from(pending, "utf8");
    pending = "";
    sheetBytes += xml.length;
    out.push(zip.entryData(xml));
  };
  const closeSheet = () => {
    pending += SHEET_END_XML;
    deflatePending();
    out.push(zip.endEntry());
    sheetOpen = false;
  };
  const take = () => {
    const chunk = out.length === 1 ? out[0]! : Buffer.concat(out);
    out.length = 0;
    return chunk;
  };

  return {
    write(rows) {
      for (const row of rows) {
        if (!sheetOpen) openSheet();
        rowNumber++;
        let xml = `<row r="${rowNumber}">`;
        for (let i = 0; i < keys.length; i++) xml += cells[i]!(refs[i]! + rowNumber, row[keys[i]!]);
        pending += xml + "</row>";
        // A UTF-16 code unit is at most 3 bytes of UTF-8: the estimate never falls short.
        if (rowNumber >= rowLimit || sheetBytes + pending.length * 3 > byteLimit) closeSheet();
        else if (pending.length >= DEFLATE_CHARS) deflatePending();
      }
      return take();
    },
    end() {
      // A sheet closes as soon as it is full, so an export of exactly N full sheets has no empty extra one.
      if (sheetCount === 0) openSheet();
      if (sheetOpen) closeSheet();
      out.push(
        zip.addFile("xl/workbook.xml", workbookXml(sheetCount)),
        zip.addFile("xl/_rels/workbook.xml.rels", workbookRelsXml(sheetCount)),
        zip.addFile("[Content_Types].xml", contentTypesXml(sheetCount)),
        zip.finish(),
      );
      return take();
    },
  };
}

interface ZipEntry {
  name: Buffer;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const UINT32_MAX = 0xffffffff;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const METHOD_DEFLATE = 8;
// A final, empty deflate block: closes a stream made of sync-flushed pieces.
const DEFLATE_END = Buffer.from([0x03, 0x00]);

/**
 * A zip written strictly front to back, for files larger than memory. A streamed entry is deflated piece
 * by piece, each piece by a fresh compressor ending on a sync flush: the pieces concatenate into one valid
 * deflate stream (the pigz technique), with native zlib speed and no asynchronous stream plumbing. Its
 * sizes and CRC follow the data in a data descriptor. Zip64 is never written: past 4 GiB this throws.
 */
class ZipWriter {
  private offset = 0;
  private readonly entries: ZipEntry[] = [];
  private current: ZipEntry | null = null;
  private readonly time: number;
  private readonly date: number;

  constructor(private readonly level: number) {
    const now = new Date();
    this.time = (now.getHours() << 11) | (now.getMinutes() << 5) | (now.getSeconds() >> 1);
    this.date = ((now.getFullYear() - 1980) << 9) | ((now.getMonth() + 1) << 5) | now.getDate();
  }

  addFile(name: string, content: string): Buffer {
    const data = Buffer.from(content, "utf8");
    const compressed = deflateRawSync(data, { level: this.level });
    const entry = this.newEntry(name, 0);
    entry.crc = crc32(data);
    entry.compressedSize = compressed.length;
    entry.size = data.length;
    this.entries.push(entry);
    return this.emit(Buffer.concat([this.localHeader(entry), compressed]));
  }

  startEntry(name: string): Buffer {
    if (this.current) throw new Error("zip: previous entry not ended");
    this.current = this.newEntry(name, FLAG_DATA_DESCRIPTOR);
    return this.emit(this.localHeader(this.current));
  }

  entryData(data: Buffer): Buffer {
    const entry = this.current;
    if (!entry) throw new Error("zip: no entry started");
    if (data.length === 0) return Buffer.alloc(0);
    const compressed = deflateRawSync(data, { level: this.level, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    entry.crc = crc32(data, entry.crc);
    entry.size += data.length;
    entry.compressedSize += compressed.length;
    return this.emit(compressed);
  }

  endEntry(): Buffer {
    const entry = this.current;
    if (!entry) throw new Error("zip: no entry started");
    entry.compressedSize += DEFLATE_END.length;
    if (entry.size > UINT32_MAX || entry.compressedSize > UINT32_MAX) throw new Error(`zip: ${entry.name} is larger than 4 GiB`);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(entry.crc, 4);
    descriptor.writeUInt32LE(entry.compressedSize, 8);
    descriptor.writeUInt32LE(entry.size, 12);
    this.entries.push(entry);
    this.current = null;
    return this.emit(Buffer.concat([DEFLATE_END, descriptor]));
  }

  finish(): Buffer {
    if (this.current) throw new Error("zip: entry not ended");
    const directory = Buffer.concat(this.entries.map((e) => this.centralHeader(e)));
    const start = this.offset;
    if (start > UINT32_MAX || this.entries.length > 0xffff) throw new Error("zip: archive larger than 4 GiB");
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(start, 16);
    return this.emit(Buffer.concat([directory, end]));
  }

  private newEntry(name: string, flags: number): ZipEntry {
    if (this.offset > UINT32_MAX) throw new Error("zip: archive larger than 4 GiB");
    return { name: Buffer.from(name, "utf8"), flags, crc: 0, compressedSize: 0, size: 0, offset: this.offset };
  }

  private emit(chunk: Buffer): Buffer {
    this.offset += chunk.length;
    return chunk;
  }

  private localHeader(e: ZipEntry): Buffer {
    const header = Buffer.alloc(30 + e.name.length);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(e.flags, 6);
    header.writeUInt16LE(METHOD_DEFLATE, 8);
    header.writeUInt16LE(this.time, 10);
    header.writeUInt16LE(this.date, 12);
    // With a data descriptor, CRC and sizes are zero here and written after the data.
    header.writeUInt32LE(e.crc, 14);
    header.writeUInt32LE(e.compressedSize, 18);
    header.writeUInt32LE(e.size, 22);
    header.writeUInt16LE(e.name.length, 26);
    e.name.copy(header, 30);
    return header;
  }

  private centralHeader(e: ZipEntry): Buffer {
    const header = Buffer.alloc(46 + e.name.length);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(e.flags, 8);
    header.writeUInt16LE(METHOD_DEFLATE, 10);
    header.writeUInt16LE(this.time, 12);
    header.writeUInt16LE(this.date, 14);
    header.writeUInt32LE(e.crc, 16);
    header.writeUInt32LE(e.compressedSize, 20);
    header.writeUInt32LE(e.size, 24);
    header.writeUInt16LE(e.name.length, 28);
    header.writeUInt32LE(e.offset, 42);
    e.name.copy(header, 46);
    return header;
  }
}
