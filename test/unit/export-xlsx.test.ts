import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createExportWriter, type ExportColumn, type ExportRow } from "../../src/exports/formats";
import { columnName, type XlsxWriterOptions } from "../../src/exports/xlsx";

const dir = mkdtempSync(join(tmpdir(), "roster-xlsx-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const columns: ExportColumn[] = [
  { key: "name", label: "Nom", type: "text" },
  { key: "city", label: "Ville & <région>", type: "text" },
  { key: "note", label: "Note", type: "text" },
  { key: "phone", label: "Téléphone", type: "text" },
  { key: "score", label: "Score", type: "number" },
  { key: "born", label: "Né le", type: "date" },
  { key: "created", label: "Créé", type: "datetime" },
  { key: "active", label: "Actif", type: "boolean" },
];

const rows: ExportRow[] = [
  {
    name: 'Dupont, "Jean"',
    city: "Zürich\nCH",
    note: "a\tb",
    phone: "+33 6 12 34 56 78",
    score: 12.5,
    born: "1990-05-17",
    created: new Date(Date.UTC(2024, 2, 1, 8, 30)),
    active: true,
  },
  { name: '=HYPERLINK("http://x")', city: "@SUM(A1)", note: "-2+3+cmd|' /C calc'!A0", phone: "-12.5", score: null, born: null, created: null, active: false },
  {
    name: "Éloïse",
    note: "'=already",
    phone: "+1-800-FLOWERS",
    score: -3,
    born: new Date(Date.UTC(2000, 1, 29)),
    created: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)),
    active: null,
  },
  { name: "\tTab", city: "a,b", note: "line1\r\nline2" },
  { name: "<b>&</b>", city: " space ", note: "ctl\u0001 _x0041_" },
];

let fileCount = 0;
/** Writes the workbook in batches, checks the archive with unzip, returns its entries' text by name. */
function writeXlsx(input: readonly ExportRow[], options: XlsxWriterOptions = {}, cols: readonly ExportColumn[] = columns, batchSize = 2): Map<string, string> {
  const writer = createExportWriter("xlsx", cols, options);
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += batchSize) chunks.push(writer.write(input.slice(i, i + batchSize)));
  chunks.push(writer.end());
  const file = join(dir, `book${++fileCount}.xlsx`);
  writeFileSync(file, Buffer.concat(chunks));
  // unzip -t inflates every entry and checks its CRC and sizes: an independent reader of our zip.
  const check = execFileSync("unzip", ["-t", file], { encoding: "utf8" });
  assert.match(check, /No errors detected/);
  const names = execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n");
  const entries = new Map<string, string>();
  for (const name of names) {
    const text = execFileSync("unzip", ["-p", file, name.replace(/\[/g, "[[]")], { encoding: "utf8", maxBuffer: 1 << 28 });
    assertWellFormed(text, name);
    entries.set(name, text);
  }
  return entries;
}

function sheet(entries: Map<string, string>, n: number): string {
  const xml = entries.get(`xl/worksheets/sheet${n}.xml`);
  assert.ok(xml !== undefined, `sheet${n} missing`);
  return xml;
}

const HEADER_ROW =
  '<row r="1"><c r="A1" s="4" t="inlineStr"><is><t>Nom</t></is></c><c r="B1" s="4" t="inlineStr"><is><t>Ville &amp; &lt;région&gt;</t></is></c>' +
  '<c r="C1" s="4" t="inlineStr"><is><t>Note</t></is></c><c r="D1" s="4" t="inlineStr"><is><t>Téléphone</t></is></c><c r="E1" s="4" t="inlineStr"><is><t>Score</t></is></c>' +
  '<c r="F1" s="4" t="inlineStr"><is><t>Né le</t></is></c><c r="G1" s="4" t="inlineStr"><is><t>Créé</t></is></c><c r="H1" s="4" t="inlineStr"><is><t>Actif</t></is></c></row>';

describe("xlsx", () => {
  test("a workbook with the parts Excel needs", () => {
    const entries = writeXlsx(rows);
    assert.deepEqual([...entries.keys()].sort(), [
      "[Content_Types].xml",
      "_rels/.rels",
      "xl/_rels/workbook.xml.rels",
      "xl/styles.xml",
      "xl/workbook.xml",
      "xl/worksheets/sheet1.xml",
    ]);
    assert.match(entries.get("xl/workbook.xml")!, /<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"\/><\/sheets>/);
    assert.match(
      entries.get("[Content_Types].xml")!,
      /<Override PartName="\/xl\/worksheets\/sheet1.xml" ContentType="application\/vnd.openxmlformats-officedocument.spreadsheetml.worksheet\+xml"\/>/,
    );
    assert.match(entries.get("xl/_rels/workbook.xml.rels")!, /Id="rId2" Type="[^"]+\/styles" Target="styles.xml"/);
    assert.match(entries.get("xl/styles.xml")!, /<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"\/>/);
  });

  test("cells: text, numbers, real dates, booleans, nulls left empty", () => {
    const xml = sheet(writeXlsx(rows), 1);
    assert.ok(xml.includes(`<sheetData>${HEADER_ROW}<row r="2">`), "header row first");
    assert.ok(
      xml.includes(
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Dupont, "Jean"</t></is></c><c r="B2" t="inlineStr"><is><t>Zürich\nCH</t></is></c>' +
          '<c r="C2" t="inlineStr"><is><t>a\tb</t></is></c><c r="D2" s="3" t="inlineStr"><is><t>+33 6 12 34 56 78</t></is></c>' +
          '<c r="E2"><v>12.5</v></c><c r="F2" s="1"><v>33010</v></c><c r="G2" s="2"><v>45352.35416666667</v></c><c r="H2" t="b"><v>1</v></c></row>',
      ),
      "row 2",
    );
    // Formula-looking text keeps its value and gets the quotePrefix style (3): Excel keeps it as text.
    assert.ok(
      xml.includes(
        '<row r="3"><c r="A3" s="3" t="inlineStr"><is><t>=HYPERLINK("http://x")</t></is></c><c r="B3" s="3" t="inlineStr"><is><t>@SUM(A1)</t></is></c>' +
          '<c r="C3" s="3" t="inlineStr"><is><t>-2+3+cmd|\' /C calc\'!A0</t></is></c><c r="D3" s="3" t="inlineStr"><is><t>-12.5</t></is></c>' +
          '<c r="H3" t="b"><v>0</v></c></row>',
      ),
      "row 3",
    );
    assert.ok(xml.includes('<row r="4"><c r="A4" t="inlineStr"><is><t>Éloïse</t></is></c><c r="C4" t="inlineStr"><is><t>\'=already</t></is></c>'), "row 4");
    assert.ok(xml.includes('<c r="E4"><v>-3</v></c><c r="F4" s="1"><v>36585</v></c><c r="G4" s="2"><v>'), "row 4 dates");
    // 1999-12-31 is serial 36525; one millisecond before midnight.
    assertClose(serial(xml, "G4"), 36526 - 1 / 86_400_000);
    assert.ok(xml.includes('<c r="A5" s="3" t="inlineStr"><is><t xml:space="preserve">\tTab</t></is></c>'), "leading tab");
    assert.ok(xml.includes('<c r="C5" t="inlineStr"><is><t>line1_x000D_\nline2</t></is></c>'), "CR kept as Excel's escape");
    assert.ok(
      xml.includes(
        '<row r="6"><c r="A6" t="inlineStr"><is><t>&lt;b&gt;&amp;&lt;/b&gt;</t></is></c><c r="B6" t="inlineStr"><is><t xml:space="preserve"> space </t></is></c>' +
          '<c r="C6" t="inlineStr"><is><t>ctl_x0001_ _x005F_x0041_</t></is></c></row></sheetData></worksheet>',
      ),
      "escapes",
    );
  });

  test("date values that Excel cannot hold as dates are written as text", () => {
    const cols: ExportColumn[] = [
      { key: "d", label: "Date", type: "date" },
      { key: "t", label: "At", type: "datetime" },
    ];
    const xml = sheet(
      writeXlsx(
        [
          { d: "2024-02-30", t: "yesterday" },
          { d: new Date(Date.UTC(1899, 11, 31)), t: "2024-03-01T08:30:00+02:00" },
          { d: "2024-03-01", t: "=1+1" },
        ],
        {},
        cols,
      ),
      1,
    );
    assert.ok(xml.includes('<row r="2"><c r="A2" t="inlineStr"><is><t>2024-02-30</t></is></c><c r="B2" t="inlineStr"><is><t>yesterday</t></is></c></row>'));
    assert.ok(xml.includes('<row r="3"><c r="A3" t="inlineStr"><is><t>1899-12-31</t></is></c><c r="B3" s="2"><v>'));
    assertClose(serial(xml, "B3"), 45352 + 6.5 / 24); // 08:30 at +02:00 is 06:30 UTC
    assert.ok(xml.includes('<row r="4"><c r="A4" s="1"><v>45352</v></c><c r="B4" s="3" t="inlineStr"><is><t>=1+1</t></is></c></row>'));
  });

  test("rows past the sheet limit go on to new sheets, each with the header row", () => {
    const named = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `R${i + 1}`, score: i + 1 }));
    const entries = writeXlsx(named(5), { sheetRowLimit: 3 });
    const names = (xml: string) => [...xml.matchAll(/<row r="(\d+)"><c r="A\d+"[^>]*><is><t>([^<]*)<\/t>/g)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual(names(sheet(entries, 1)), ["1:Nom", "2:R1", "3:R2"]);
    assert.deepEqual(names(sheet(entries, 2)), ["1:Nom", "2:R3", "3:R4"]);
    assert.deepEqual(names(sheet(entries, 3)), ["1:Nom", "2:R5"]);
    for (let n = 1; n <= 3; n++) assert.ok(sheet(entries, n).includes(HEADER_ROW), `header on sheet${n}`);
    assert.equal(entries.has("xl/worksheets/sheet4.xml"), false);
    assert.equal([...entries.get("xl/workbook.xml")!.matchAll(/<sheet /g)].length, 3);
    assert.match(entries.get("xl/workbook.xml")!, /<sheet name="Sheet3" sheetId="3" r:id="rId3"\/>/);
    assert.equal([...entries.get("[Content_Types].xml")!.matchAll(/worksheet\+xml/g)].length, 3);
    assert.match(
      entries.get("xl/_rels/workbook.xml.rels")!,
      /Id="rId3" Type="[^"]+\/worksheet" Target="worksheets\/sheet3.xml".*Id="rId4" Type="[^"]+\/styles"/,
    );

    // Exactly two full sheets: no empty third one.
    const full = writeXlsx(named(4), { sheetRowLimit: 3 }, columns, 1);
    assert.deepEqual(names(sheet(full, 2)), ["1:Nom", "2:R3", "3:R4"]);
    assert.equal(full.has("xl/worksheets/sheet3.xml"), false);
  });

  test("no rows: one sheet with the header", () => {
    const entries = writeXlsx([]);
    assert.ok(sheet(entries, 1).includes(`<sheetData>${HEADER_ROW}</sheetData>`));
    assert.equal(entries.has("xl/worksheets/sheet2.xml"), false);
  });

  test("a sheet also ends before its XML reaches the byte limit (zip entries stay under 4 GiB)", () => {
    const entries = writeXlsx([{ name: "a" }, { name: "b" }, { name: "c" }], { sheetByteLimit: 1 });
    assert.equal(entries.has("xl/worksheets/sheet3.xml"), true);
    assert.ok(sheet(entries, 3).includes('<row r="2"><c r="A2" t="inlineStr"><is><t>c</t></is></c></row></sheetData>'));
  });

  test("bytes come out while rows go in, and the result is one valid archive", () => {
    const writer = createExportWriter("xlsx", columns);
    const chunks: Buffer[] = [];
    let early = 0;
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ name: `Contact ${b * 500 + i} ${"x".repeat(200)}`, score: b * 500 + i }));
      const chunk = writer.write(batch);
      if (chunk.length > 0) early++;
      chunks.push(chunk);
    }
    chunks.push(writer.end());
    assert.ok(early >= 3, `only ${early} writes produced bytes`);
    const file = join(dir, "incremental.xlsx");
    writeFileSync(file, Buffer.concat(chunks));
    assert.match(execFileSync("unzip", ["-t", file], { encoding: "utf8" }), /No errors detected/);
    const xml = execFileSync("unzip", ["-p", file, "xl/worksheets/sheet1.xml"], { encoding: "utf8", maxBuffer: 1 << 28 });
    assert.ok(
      xml.includes(
        `<row r="10001"><c r="A10001" t="inlineStr"><is><t>Contact 9999 ${"x".repeat(200)}</t></is></c><c r="E10001"><v>9999</v></c></row></sheetData>`,
      ),
    );
  });

  test("options are checked", () => {
    assert.throws(() => createExportWriter("xlsx", columns, { sheetRowLimit: 1 }), /sheetRowLimit/);
    assert.throws(() => createExportWriter("xlsx", columns, { sheetRowLimit: 1_048_577 }), /sheetRowLimit/);
  });

  test("column names", () => {
    assert.deepEqual([0, 25, 26, 27, 51, 52, 701, 702, 16383].map(columnName), ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]);
  });
});

function serial(xml: string, ref: string): number {
  const m = new RegExp(`<c r="${ref}"[^>]*><v>([^<]+)</v></c>`).exec(xml);
  assert.ok(m, `no value in ${ref}`);
  return Number(m[1]);
}

function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);
}

// A small well-formedness check: one root, tags nest and close, attributes quoted, no bare "&" or
// control characters. Enough to catch a missing escape or a tag left open.
function assertWellFormed(xml: string, name: string): void {
  const decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
  assert.ok(xml.startsWith(decl), `${name}: XML declaration`);
  const stack: string[] = [];
  let roots = 0;
  for (const m of xml.slice(decl.length).matchAll(/<([^>]*)>|([^<]+)/g)) {
    const text = m[2];
    if (text !== undefined) {
      assert.ok(stack.length > 0, `${name}: text outside the root`);
      assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/, `${name}: bare &`);
      assert.doesNotMatch(text, /[\x00-\x08\x0b\x0c\x0e-\x1f>]/, `${name}: raw control character or >`);
      continue;
    }
    const tag = m[1]!;
    if (tag.startsWith("/")) {
      assert.equal(stack.pop(), tag.slice(1), `${name}: closing tag`);
      continue;
    }
    const parts = /^([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)$/.exec(tag);
    assert.ok(parts, `${name}: malformed tag <${tag}>`);
    if (stack.length === 0) roots++;
    if (parts[3] !== "/") stack.push(parts[1]!);
  }
  assert.equal(stack.length, 0, `${name}: unclosed ${stack.join(", ")}`);
  assert.equal(roots, 1, `${name}: one root element`);
}
