import { test } from "node:test";
import assert from "node:assert/strict";
import { CsvParser, previewCsv, type CsvRecord } from "../../src/imports/parse";
import type { Delimiter } from "../../src/imports/dialect";
import { parseAll } from "./import-helpers";

/** Keeps what the tests assert on: line, fields, raw (and error when set). */
function plain(records: CsvRecord[]) {
  return records.map((r) => (r.error ? { line: r.line, raw: r.raw, error: r.error } : { line: r.line, fields: r.fields, raw: r.raw }));
}

/** Parses `text` fed in pieces of `size` characters, to cross every chunk boundary. */
function parsePieces(text: string, delimiter: Delimiter, size: number, maxRecordChars?: number): CsvRecord[] {
  const parser = new CsvParser({ delimiter, maxRecordChars });
  const out: CsvRecord[] = [];
  for (let at = 0; at < text.length; at += size) out.push(...parser.push(text.slice(at, at + size)));
  out.push(...parser.end());
  return out;
}

const FIXTURES: Record<string, { encoding: string; delimiter: string; header: string[]; rows: { line: number; fields: string[]; raw: string }[] }> = {
  "utf8-bom.csv": {
    encoding: "utf-8",
    delimiter: ",",
    header: ["email", "first_name", "last_name"],
    rows: [
      { line: 2, fields: ["zoe@example.com", "Zoé", "Müller"], raw: "zoe@example.com,Zoé,Müller" },
      { line: 3, fields: ["soren@example.dk", "Søren", "Åberg"], raw: "soren@example.dk,Søren,Åberg" },
    ],
  },
  "utf8-no-bom.csv": {
    encoding: "utf-8",
    delimiter: ",",
    header: ["email", "first_name"],
    rows: [
      { line: 2, fields: ["ana@example.es", "María José"], raw: "ana@example.es,María José" },
      { line: 3, fields: ["li@example.cn", "李"], raw: "li@example.cn,李" },
    ],
  },
  "utf16le-bom.csv": {
    encoding: "utf-16le",
    delimiter: ";",
    header: ["Email", "Prénom"],
    rows: [
      { line: 2, fields: ["anais@example.fr", "Anaïs"], raw: "anais@example.fr;Anaïs" },
      { line: 3, fields: ["chloe@example.fr", 'Chloé; la "grande"'], raw: '"chloe@example.fr";"Chloé; la ""grande"""' },
    ],
  },
  "utf16be-bom.csv": {
    encoding: "utf-16be",
    delimiter: "\t",
    header: ["E-mail", "First Name"],
    rows: [{ line: 2, fields: ["jurgen@example.de", "Jürgen"], raw: "jurgen@example.de\tJürgen" }],
  },
  "windows-1252.csv": {
    encoding: "windows-1252",
    delimiter: ",",
    header: ["email", "first_name", "last_name", "note"],
    rows: [
      { line: 2, fields: ["rene@example.fr", "René", "Müller", "5 €"], raw: "rene@example.fr,René,Müller,5 €" },
      { line: 3, fields: ["obrien@example.ie", "Seán", "O\u2019Brien", ""], raw: "obrien@example.ie,Seán,O\u2019Brien," },
    ],
  },
  "semicolon.csv": {
    encoding: "utf-8",
    delimiter: ";",
    header: ["email", "first_name", "company"],
    rows: [
      { line: 2, fields: ["ann@example.com", "Ann", "Dupont, Fils; et Cie"], raw: '"ann@example.com";Ann;"Dupont, Fils; et Cie"' },
      { line: 3, fields: ["bob@example.com", "Bob", "Acme"], raw: "bob@example.com;Bob;Acme" },
    ],
  },
  "tab.csv": {
    encoding: "utf-8",
    delimiter: "\t",
    header: ["email", "first_name", "last_name"],
    rows: [
      { line: 2, fields: ["carl@example.com", "Carl", "van Dyke"], raw: 'carl@example.com\tCarl\t"van Dyke"' },
      { line: 3, fields: ["dora@example.com", "Dora", ""], raw: "dora@example.com\tDora\t" },
    ],
  },
  "pipe.csv": {
    encoding: "utf-8",
    delimiter: "|",
    header: ["email", "first_name", "phone"],
    rows: [
      { line: 2, fields: ["eve@example.com", "Eve", "+1 212 555 0100"], raw: "eve@example.com|Eve|+1 212 555 0100" },
      { line: 3, fields: ["fay|x@example.com", "Fay", ""], raw: '"fay|x@example.com"|Fay|' },
    ],
  },
  "cr-only.csv": {
    encoding: "utf-8",
    delimiter: ",",
    header: ["email", "first_name"],
    rows: [
      { line: 2, fields: ["gus@example.com", "Gus"], raw: "gus@example.com,Gus" },
      { line: 4, fields: ["hal@example.com", "Hal\rHalloran"], raw: 'hal@example.com,"Hal\rHalloran"' },
      { line: 6, fields: ["ivy@example.com", "Ivy"], raw: "ivy@example.com,Ivy" },
    ],
  },
  "crlf.csv": {
    encoding: "utf-8",
    delimiter: ",",
    header: ["email", "first_name"],
    rows: [
      { line: 2, fields: ["jay@example.com", "Jay"], raw: "jay@example.com,Jay" },
      { line: 3, fields: ["kim@example.com", "Kim"], raw: "kim@example.com,Kim" },
    ],
  },
  "quoted-newlines.csv": {
    encoding: "utf-8",
    delimiter: ",",
    header: ["email", "first_name", "note"],
    rows: [
      {
        line: 2,
        fields: ["lea@example.com", "Lea", "line one\nline two\r\nline three"],
        raw: '"lea@example.com",Lea,"line one\nline two\r\nline three"',
      },
      { line: 5, fields: ["max@example.com", "Max", 'He said "hi"'], raw: 'max@example.com,Max,"He said ""hi"""' },
      { line: 6, fields: ["ned@example.com", "Ned\n", "plain"], raw: 'ned@example.com,"Ned\n",plain' },
    ],
  },
  "blank-lines.csv": {
    encoding: "utf-8",
    delimiter: ",",
    header: ["email", "first_name"],
    rows: [
      { line: 4, fields: ["oli@example.com", "Oli"], raw: "oli@example.com,Oli" },
      { line: 8, fields: ["pia@example.com", "Pia"], raw: "pia@example.com,Pia" },
    ],
  },
};

for (const [name, expected] of Object.entries(FIXTURES)) {
  test(`fixture ${name}: encoding, delimiter, header, rows with line numbers and raw text`, async () => {
    for (const chunkSize of [undefined, 1, 3]) {
      const parsed = await parseAll(name, { chunkSize });
      assert.equal(parsed.encoding, expected.encoding);
      assert.equal(parsed.delimiter, expected.delimiter);
      assert.deepEqual(parsed.header?.fields, expected.header);
      assert.deepEqual(plain(parsed.rows), expected.rows, `chunk size ${chunkSize}`);
    }
  });
}

test("the header is line 1, or the line it is on after leading blank lines; blank lines are counted", async () => {
  assert.equal((await parseAll("crlf.csv")).header?.line, 1);
  const blank = await parseAll("blank-lines.csv");
  assert.equal(blank.header?.line, 2);
  // Lines 1, 3, 5 (spaces), 6 (a lone delimiter), 7 (CRLF), 9 and 10.
  assert.equal(blank.blankLines, 7);
});

test("every chunking of the text gives the same records, including CRLF split between chunks", () => {
  const text = 'email,note\r\na@b.co,"x\r\ny"\r\n\r\nc@d.co,"say ""hi"""\rd@e.co,plain\n"e@f.co",\r\n';
  const whole = plain(parsePieces(text, ",", text.length));
  assert.deepEqual(whole, [
    { line: 1, fields: ["email", "note"], raw: "email,note" },
    { line: 2, fields: ["a@b.co", "x\r\ny"], raw: 'a@b.co,"x\r\ny"' },
    { line: 5, fields: ["c@d.co", 'say "hi"'], raw: 'c@d.co,"say ""hi"""' },
    { line: 6, fields: ["d@e.co", "plain"], raw: "d@e.co,plain" },
    { line: 7, fields: ["e@f.co", ""], raw: '"e@f.co",' },
  ]);
  for (let size = 1; size < text.length; size++) assert.deepEqual(plain(parsePieces(text, ",", size)), whole, `pieces of ${size}`);
});

test("quotes inside unquoted fields and text after a closing quote are kept literally", () => {
  const records = parsePieces('a@b.co,5" screen,"quoted"tail\n', ",", 100);
  assert.deepEqual(records[0]!.fields, ["a@b.co", '5" screen', "quotedtail"]);
});

test("an unterminated quote is reported on its line and parsing resumes on the next line", () => {
  const text = 'email,name\nbad@x.co,"Unclosed\nok@x.co,Fine\n';
  assert.deepEqual(plain(parsePieces(text, ",", 5)), [
    { line: 1, fields: ["email", "name"], raw: "email,name" },
    { line: 2, raw: 'bad@x.co,"Unclosed', error: "unterminated quoted field" },
    { line: 3, fields: ["ok@x.co", "Fine"], raw: "ok@x.co,Fine" },
  ]);
});

test("a record longer than maxRecordChars is reported and skipped without buffering the rest", () => {
  const long = `x@y.co,"${"z".repeat(500)}`;
  const text = `email,note\n${long}\nok@x.co,Fine\n`;
  const records = parsePieces(text, ",", 64, 200);
  assert.equal(records.length, 3);
  assert.equal(records[1]!.line, 2);
  assert.equal(records[1]!.error, "row longer than 200 characters");
  assert.deepEqual(plain([records[2]!]), [{ line: 3, fields: ["ok@x.co", "Fine"], raw: "ok@x.co,Fine" }]);
  // An unquoted line of the same length is dropped up to its end too.
  const unquoted = parsePieces(`email\n${"w".repeat(500)}\nok@x.co\n`, ",", 64, 200);
  assert.deepEqual(
    unquoted.map((r) => [r.line, r.error ?? r.raw]),
    [
      [1, "email"],
      [2, "row longer than 200 characters"],
      [3, "ok@x.co"],
    ],
  );
});

test("previewCsv returns the first rows of a pasted text and says when there are more", () => {
  const text = "\ufeffEmail;Name\r\n" + Array.from({ length: 50 }, (_, i) => `u${i}@x.co;"N ${i}"`).join("\r\n");
  const preview = previewCsv(text, { maxRows: 3 });
  assert.equal(preview.delimiter, ";");
  assert.deepEqual(preview.header?.fields, ["Email", "Name"]);
  assert.deepEqual(plain(preview.rows), [
    { line: 2, fields: ["u0@x.co", "N 0"], raw: 'u0@x.co;"N 0"' },
    { line: 3, fields: ["u1@x.co", "N 1"], raw: 'u1@x.co;"N 1"' },
    { line: 4, fields: ["u2@x.co", "N 2"], raw: 'u2@x.co;"N 2"' },
  ]);
  assert.equal(preview.truncated, true);
  const all = previewCsv("email\na@b.co\n", { maxRows: 3 });
  assert.equal(all.rows.length, 1);
  assert.equal(all.truncated, false);
});

test("an empty file has no header and no rows", async () => {
  const parsed = await parseAll(Buffer.alloc(0));
  assert.equal(parsed.header, null);
  assert.deepEqual(parsed.rows, []);
});
