import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, test } from "node:test";
import {
  createExportStream,
  createExportWriter,
  fileInfo,
  formatDate,
  neutraliseFormula,
  restoreNeutralisedFormula,
  type ExportColumn,
  type ExportFormat,
  type ExportRow,
} from "../../src/exports/formats";

const columns: ExportColumn[] = [
  { key: "name", label: "Nom", type: "text" },
  { key: "city", label: "Ville; région", type: "text" },
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
];

function render(format: ExportFormat, input: readonly ExportRow[] = rows, cols: readonly ExportColumn[] = columns): string {
  const writer = createExportWriter(format, cols);
  // One row per write, to exercise the writer across calls.
  const chunks = input.map((row) => writer.write([row]));
  chunks.push(writer.end());
  return Buffer.concat(chunks).toString("utf8");
}

describe("delimited formats", () => {
  test("csv: comma, CRLF, RFC 4180 quoting, ISO dates, neutralised formulas", () => {
    assert.equal(
      render("csv"),
      "Nom,Ville; région,Note,Téléphone,Score,Né le,Créé,Actif\r\n" +
        '"Dupont, ""Jean""","Zürich\nCH",a\tb,+33 6 12 34 56 78,12.5,1990-05-17,2024-03-01T08:30:00.000Z,true\r\n' +
        '"\'=HYPERLINK(""http://x"")",\'@SUM(A1),\'-2+3+cmd|\' /C calc\'!A0,-12.5,,,,false\r\n' +
        "Éloïse,,''=already,'+1-800-FLOWERS,-3,2000-02-29,1999-12-31T23:59:59.999Z,\r\n" +
        '\'\tTab,"a,b","line1\r\nline2",,,,,\r\n',
    );
  });

  test("csv_excel: BOM, semicolon, commas left unquoted", () => {
    const text = render("csv_excel");
    assert.equal(text.charCodeAt(0), 0xfeff);
    assert.equal(
      text,
      '\uFEFFNom;"Ville; région";Note;Téléphone;Score;Né le;Créé;Actif\r\n' +
        '"Dupont, ""Jean""";"Zürich\nCH";a\tb;+33 6 12 34 56 78;12.5;1990-05-17;2024-03-01T08:30:00.000Z;true\r\n' +
        '"\'=HYPERLINK(""http://x"")";\'@SUM(A1);\'-2+3+cmd|\' /C calc\'!A0;-12.5;;;;false\r\n' +
        "Éloïse;;''=already;'+1-800-FLOWERS;-3;2000-02-29;1999-12-31T23:59:59.999Z;\r\n" +
        '\'\tTab;a,b;"line1\r\nline2";;;;;\r\n',
    );
    const bytes = Buffer.concat([createExportWriter("csv_excel", columns).end()]);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "the BOM is UTF-8 encoded");
  });

  test("tsv: tab, LF, values holding a tab or newline are quoted", () => {
    assert.equal(
      render("tsv"),
      "Nom\tVille; région\tNote\tTéléphone\tScore\tNé le\tCréé\tActif\n" +
        '"Dupont, ""Jean"""\t"Zürich\nCH"\t"a\tb"\t+33 6 12 34 56 78\t12.5\t1990-05-17\t2024-03-01T08:30:00.000Z\ttrue\n' +
        '"\'=HYPERLINK(""http://x"")"\t\'@SUM(A1)\t\'-2+3+cmd|\' /C calc\'!A0\t-12.5\t\t\t\tfalse\n' +
        "Éloïse\t\t''=already\t'+1-800-FLOWERS\t-3\t2000-02-29\t1999-12-31T23:59:59.999Z\t\n" +
        '"\'\tTab"\ta,b\t"line1\r\nline2"\t\t\t\t\t\n',
    );
  });

  test("labels are neutralised and quoted like values", () => {
    const cols: ExportColumn[] = [
      { key: "a", label: "=cmd", type: "text" },
      { key: "b", label: 'say "hi", then', type: "text" },
    ];
    assert.equal(render("csv", [], cols), '\'=cmd,"say ""hi"", then"\r\n');
  });

  test("an export without rows is its header alone", () => {
    assert.equal(render("csv", []), "Nom,Ville; région,Note,Téléphone,Score,Né le,Créé,Actif\r\n");
    assert.equal(render("jsonl", []), "");
  });

  test("odd values: NaN, bigint, invalid date, objects", () => {
    const cols: ExportColumn[] = [
      { key: "n", label: "n", type: "number" },
      { key: "b", label: "b", type: "number" },
      { key: "d", label: "d", type: "datetime" },
      { key: "o", label: "o", type: "text" },
    ];
    const input = [{ n: Number.NaN, b: 12345678901234567890n, d: new Date(Number.NaN), o: { x: [1, "=2"] } }];
    assert.equal(render("csv", input, cols), 'n,b,d,o\r\n,12345678901234567890,,"{""x"":[1,""=2""]}"\r\n');
    assert.equal(render("jsonl", input, cols), '{"n":null,"b":"12345678901234567890","d":null,"o":{"x":[1,"=2"]}}\n');
  });
});

describe("jsonl", () => {
  test("one object per line, keys are field keys in column order, not neutralised", () => {
    const text = render("jsonl");
    assert.ok(text.endsWith("}\n"));
    const lines = text.split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(
      lines[0],
      '{"name":"Dupont, \\"Jean\\"","city":"Zürich\\nCH","note":"a\\tb","phone":"+33 6 12 34 56 78","score":12.5,"born":"1990-05-17","created":"2024-03-01T08:30:00.000Z","active":true}',
    );
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(parsed[1], {
      name: '=HYPERLINK("http://x")',
      city: "@SUM(A1)",
      note: "-2+3+cmd|' /C calc'!A0",
      phone: "-12.5",
      score: null,
      born: null,
      created: null,
      active: false,
    });
    assert.deepEqual(parsed[2], {
      name: "Éloïse",
      city: null,
      note: "'=already",
      phone: "+1-800-FLOWERS",
      score: -3,
      born: "2000-02-29",
      created: "1999-12-31T23:59:59.999Z",
      active: null,
    });
    assert.deepEqual(
      Object.keys(parsed[3]!),
      columns.map((c) => c.key),
    );
    assert.equal(parsed[3]!.note, "line1\r\nline2");
  });
});

describe("formula neutralisation", () => {
  test("dangerous starts are prefixed, plain numbers and phones are kept", () => {
    const cases: [string, string][] = [
      ["=1+1", "'=1+1"],
      ["@SUM(A1)", "'@SUM(A1)"],
      ["+SUM(A1)", "'+SUM(A1)"],
      ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
      ["\t=1", "'\t=1"],
      ["\r=1", "'\r=1"],
      ["+1-800-FLOWERS", "'+1-800-FLOWERS"],
      ["-", "'-"],
      ["'=x", "''=x"],
      ["''+x", "'''+x"],
      ["+33 6 12 34 56 78", "+33 6 12 34 56 78"],
      ["+1 (555) 123-4567", "+1 (555) 123-4567"],
      ["-12.5", "-12.5"],
      ["-1,5", "-1,5"],
      ["hello", "hello"],
      ["'quoted", "'quoted"],
      ["a=b", "a=b"],
      ["", ""],
    ];
    for (const [value, expected] of cases) assert.equal(neutraliseFormula(value), expected, JSON.stringify(value));
  });

  test("restoreNeutralisedFormula is the exact inverse", () => {
    const values = ["=1+1", "'=1+1", "''=1+1", "+33 6 12", "'+33 6 12", "-", "'", "''", "'hello", "@x", "\t", "\r\n", "plain", "", "-2+3", "+1-800-FLOWERS"];
    for (const value of values) assert.equal(restoreNeutralisedFormula(neutraliseFormula(value)), value, JSON.stringify(value));
  });

  test("a CSV export parses back to the stored values", () => {
    const tricky: ExportRow[] = [
      { name: "=1+1", city: "'=x", note: 'q"uote,\r\n\t', phone: "+33 6 12 34 56 78" },
      { name: "@home", city: "x\ry", note: "\tlead", phone: "'+33" },
      { name: "-", city: "", note: null, phone: "-" },
    ];
    for (const format of ["csv", "csv_excel", "tsv"] as const) {
      const delimiter = format === "csv" ? "," : format === "tsv" ? "\t" : ";";
      const records = parseDelimited(render(format, tricky).replace(/^\uFEFF/, ""), delimiter);
      assert.deepEqual(
        records[0],
        columns.map((c) => c.label),
        format,
      );
      records.slice(1).forEach((record, i) => {
        const restored = record.map(restoreNeutralisedFormula);
        assert.deepEqual(
          restored.slice(0, 4),
          ["name", "city", "note", "phone"].map((k) => tricky[i]![k] ?? ""),
          format,
        );
      });
    }
  });
});

describe("streaming", () => {
  test("the Transform gives the same bytes as the writer, in chunks, with backpressure", async () => {
    const many: ExportRow[] = Array.from({ length: 3000 }, (_, i) => ({
      name: `Zoé ${i}`,
      city: i % 7 ? "Lyon" : "Paris, FR",
      score: i,
      created: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    }));
    const batches = Array.from({ length: 30 }, (_, i) => many.slice(i * 100, i * 100 + 100));
    const expected = render("csv", many);
    const chunks: Buffer[] = [];
    const slowSink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        setImmediate(callback);
      },
    });
    await pipeline(Readable.from(batches), createExportStream("csv", columns, { chunkChars: 4096 }), slowSink);
    assert.ok(chunks.length > 10, `expected many chunks, got ${chunks.length}`);
    assert.equal(Buffer.concat(chunks).toString("utf8"), expected);
  });

  test("the writer holds output back until a chunk is big enough", () => {
    const writer = createExportWriter("csv", columns, { chunkChars: 1000 });
    assert.equal(writer.write([rows[0]!]).length, 0);
    const big = writer.write(Array.from({ length: 20 }, () => rows[0]!));
    assert.ok(big.length > 1000);
    assert.ok(big.toString().startsWith("Nom,"));
  });
});

test("formatDate matches toISOString in UTC", () => {
  const samples = [
    0,
    -1,
    951_782_400_000,
    951_868_799_999,
    Date.UTC(1900, 1, 28, 23, 59, 59, 999),
    Date.UTC(2100, 2, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    -62_167_219_200_000,
  ];
  for (let i = 0; i < 2000; i++) samples.push(Math.round((Math.random() * 2 - 1) * 6e13));
  for (const ms of samples) {
    const date = new Date(ms);
    assert.equal(formatDate(date, "datetime"), date.toISOString(), String(ms));
    assert.equal(formatDate(date, "date"), date.toISOString().slice(0, 10), String(ms));
  }
  assert.equal(formatDate(new Date(Number.NaN), "date"), "");
});

test("fileInfo", () => {
  assert.deepEqual(fileInfo("csv_excel"), { extension: "csv", contentType: "text/csv; charset=utf-8" });
  assert.equal(fileInfo("tsv").extension, "tsv");
  assert.equal(fileInfo("jsonl").extension, "jsonl");
  assert.equal(fileInfo("xlsx").contentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
});

// RFC 4180 reader for the round-trip test: quoted fields may hold delimiters, quotes and line breaks.
function parseDelimited(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) (record.push(field), (field = ""));
    else if (c === "\n" || c === "\r") {
      // CRLF, LF or a lone CR ends a record, as in most CSV readers.
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      ((record = []), (field = ""));
    } else field += c;
  }
  return records;
}
