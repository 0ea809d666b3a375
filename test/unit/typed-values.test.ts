import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decimalEvidence,
  detectDateForm,
  detectDecimalMark,
  emptyProfile,
  formatDate,
  formatNumber,
  parseDate,
  parseNumber,
  parseYesNo,
  profileValue,
  regionForms,
  type ColumnProfile,
} from "../../src/custom-fields/typed-values";
import { columnReaders, profileRows, readSamples, resolveValueForms, suggestType } from "../../src/imports/typed-columns";
import { validateRow } from "../../src/imports/validate";

function profileOf(values: string[]): ColumnProfile {
  const p = emptyProfile();
  for (const v of values) profileValue(p, v);
  return p;
}

test("parseDate reads each spreadsheet form, with 1- or 2-digit days and months and an optional time", () => {
  assert.equal(parseDate("31/12/1990", "dmy"), "1990-12-31");
  assert.equal(parseDate("12/31/1990", "mdy"), "1990-12-31");
  assert.equal(parseDate("1990-12-31", "ymd"), "1990-12-31");
  assert.equal(parseDate("31.12.1990", "dmy"), "1990-12-31");
  assert.equal(parseDate("31-12-1990", "dmy"), "1990-12-31");
  assert.equal(parseDate("1/2/2024", "dmy"), "2024-02-01");
  assert.equal(parseDate("1/2/2024", "mdy"), "2024-01-02");
  assert.equal(parseDate("05/03/2024 14:30", "dmy"), "2024-03-05");
  assert.equal(parseDate("05/03/2024 2:30 PM", "mdy"), "2024-05-03");
  assert.equal(parseDate("2024-03-05T14:30:00Z", "dmy"), "2024-03-05");
  assert.equal(parseDate("2024-03-05 14:30:00.123+02:00", "mdy"), "2024-03-05");
  // yyyy-mm-dd is read whatever form is chosen.
  assert.equal(parseDate("2024-03-05", "mdy"), "2024-03-05");
  assert.equal(parseDate("2024/3/5", "dmy"), "2024-03-05");
});

test("parseDate refuses dates that do not exist or do not fit the form", () => {
  assert.equal(parseDate("31/02/2024", "dmy"), null);
  assert.equal(parseDate("29/02/2023", "dmy"), null);
  assert.equal(parseDate("29/02/2024", "dmy"), "2024-02-29");
  assert.equal(parseDate("29/02/1900", "dmy"), null);
  assert.equal(parseDate("29/02/2000", "dmy"), "2000-02-29");
  assert.equal(parseDate("13/01/2024", "mdy"), null);
  assert.equal(parseDate("01/13/2024", "dmy"), null);
  assert.equal(parseDate("31/12/90", "dmy"), null);
  assert.equal(parseDate("31/12-1990", "dmy"), null);
  assert.equal(parseDate("31/12/1990", "ymd"), null);
  assert.equal(parseDate("yesterday", "dmy"), null);
  assert.equal(parseDate("2024-13-01", "ymd"), null);
  assert.equal(parseDate("0/1/2024", "dmy"), null);
  assert.equal(parseDate("01/01/2024 25", "dmy"), null);
});

test("detectDateForm settles the file's form from its date columns, and falls back to the region when ambiguous", () => {
  const dmy = profileOf(["31/12/1990", "01/02/2000", ""]);
  const mdy = profileOf(["12/31/1990", "02/01/2000"]);
  const ambiguous = profileOf(["01/02/2000", "11/12/2001", "5.6.2010"]);
  const iso = profileOf(["1990-12-31", "2000-01-02"]);
  const names = profileOf(["Ana", "Li"]);
  assert.deepEqual(detectDateForm([dmy, names], "mdy"), { form: "dmy", how: "detected" });
  assert.deepEqual(detectDateForm([mdy, names], "dmy"), { form: "mdy", how: "detected" });
  assert.deepEqual(detectDateForm([ambiguous], "mdy"), { form: "mdy", how: "ambiguous" });
  assert.deepEqual(detectDateForm([ambiguous], "dmy"), { form: "dmy", how: "ambiguous" });
  assert.deepEqual(detectDateForm([ambiguous, dmy], "mdy"), { form: "dmy", how: "detected" });
  assert.deepEqual(detectDateForm([iso], "mdy"), { form: "ymd", how: "detected" });
  assert.deepEqual(detectDateForm([iso, dmy], "mdy"), { form: "dmy", how: "detected" });
  assert.deepEqual(detectDateForm([names], "dmy"), { form: "dmy", how: "none" });
  // One column month first, another day first: nothing fits all, the more values win.
  assert.deepEqual(detectDateForm([dmy, profileOf(["12/31/1990"])], "mdy"), { form: "dmy", how: "mixed" });
  // A column that is not all dates does not vote.
  assert.deepEqual(detectDateForm([profileOf(["12/31/1990", "soon"]), ambiguous], "dmy"), { form: "dmy", how: "ambiguous" });
});

test("parseNumber reads both decimal marks, with thousands grouped or not", () => {
  assert.equal(parseNumber("1991,51", ","), 1991.51);
  assert.equal(parseNumber("1.991,51", ","), 1991.51);
  assert.equal(parseNumber("1,991.51", "."), 1991.51);
  assert.equal(parseNumber("1991.51", "."), 1991.51);
  assert.equal(parseNumber("1 234 567,5", ","), 1234567.5);
  assert.equal(parseNumber("1'234.5", "."), 1234.5);
  assert.equal(parseNumber("-42", "."), -42);
  assert.equal(parseNumber("+0,5", ","), 0.5);
  assert.equal(parseNumber(",5", ","), 0.5);
  assert.equal(parseNumber("12.", "."), 12);
  assert.equal(parseNumber("1.5e3", "."), 1500);
  assert.equal(parseNumber("1.234", ","), 1234);
  assert.equal(parseNumber("1.234", "."), 1.234);
});

test("parseNumber refuses what is not a number in that form", () => {
  for (const [value, mark] of [
    ["1991.51", ","],
    ["1,991.51", ","],
    ["1.991,51", "."],
    ["12,34,567", "."],
    ["1,23", "."],
    ["abc", "."],
    ["", "."],
    ["-", "."],
    [".", "."],
    ["1.2.3", "."],
    ["12 kg", "."],
    ["1,", "."],
    ["1e", "."],
    ["--1", "."],
  ] as const) {
    assert.equal(parseNumber(value, mark), null, `${value} with ${mark}`);
  }
});

test("decimalEvidence and detectDecimalMark tell the column's mark, or leave it to the region", () => {
  assert.equal(decimalEvidence("1991,51"), ",");
  assert.equal(decimalEvidence("1.991,51"), ",");
  assert.equal(decimalEvidence("1,991.51"), ".");
  assert.equal(decimalEvidence("1991.51"), ".");
  assert.equal(decimalEvidence("1.234.567"), ",");
  assert.equal(decimalEvidence("1.234"), null);
  assert.equal(decimalEvidence("1234"), null);
  assert.equal(decimalEvidence("1234.567"), ".");
  assert.deepEqual(detectDecimalMark(profileOf(["1991,51", "1.234", "7"]), "."), { mark: ",", how: "detected" });
  assert.deepEqual(detectDecimalMark(profileOf(["1,991.51", "1991.5"]), ","), { mark: ".", how: "detected" });
  assert.deepEqual(detectDecimalMark(profileOf(["1.234", "7"]), ","), { mark: ",", how: "ambiguous" });
  assert.deepEqual(detectDecimalMark(undefined, "."), { mark: ".", how: "ambiguous" });
});

test("parseYesNo reads the usual words in any case, and nothing else", () => {
  for (const v of ["yes", "YES", "true", "True", "1", "sí", "Sí", "si", "y", "Y", "x", "X"]) assert.equal(parseYesNo(v), true, v);
  for (const v of ["no", "No", "false", "FALSE", "0", "n", "N"]) assert.equal(parseYesNo(v), false, v);
  for (const v of ["maybe", "2", "yess", "", "-"]) assert.equal(parseYesNo(v), null, v);
});

test("formatDate and formatNumber write values back in the chosen form", () => {
  assert.equal(formatDate("1990-12-31", "ymd"), "1990-12-31");
  assert.equal(formatDate("1990-12-31", "dmy"), "31/12/1990");
  assert.equal(formatDate("1990-12-31", "mdy"), "12/31/1990");
  assert.equal(formatDate("1990-12-31", "dmy", "."), "31.12.1990");
  assert.equal(formatNumber(1234.5, ","), "1234,5");
  assert.equal(formatNumber(1234.5, "."), "1234.5");
  assert.equal(formatNumber(-3, ","), "-3");
  for (const n of [1234.5, -0.25, 1991.51, 7]) assert.equal(parseNumber(formatNumber(n, ","), ","), n);
});

test("regionForms gives month-first dates to the US and the decimal comma to most of Europe", () => {
  assert.deepEqual(regionForms("US"), { dateForm: "mdy", decimalMark: "." });
  assert.deepEqual(regionForms("ES"), { dateForm: "dmy", decimalMark: "," });
  assert.deepEqual(regionForms("GB"), { dateForm: "dmy", decimalMark: "." });
  assert.deepEqual(regionForms(null), { dateForm: "dmy", decimalMark: "." });
});

test("validateRow reads typed columns: values typed, a bad cell a problem naming column and value, x marks' empty cells no", () => {
  const header = ["Email", "Amount", "Birthday", "Newsletter", "Note"];
  const mapping = ["email", "custom:amount", "custom:birthday", "custom:newsletter", "custom:note"] as const;
  const fields = [
    { key: "amount", label: "Amount", type: "number" as const },
    { key: "birthday", label: "Birthday", type: "date" as const },
    { key: "newsletter", label: "Newsletter", type: "boolean" as const },
    { key: "note", label: "Note", type: "text" as const },
  ];
  const rows = [
    ["a@example.com", "1.234,5", "31/12/1990", "x", "1,5"],
    ["b@example.com", "7", "01/02/2000", "", ""],
  ];
  const profiles = profileRows(header.length, rows);
  const forms = resolveValueForms({ header, profiles, dateForm: null, decimalMark: null }, "US");
  assert.equal(forms.dateForm, "dmy", "31/12 settles day first, whatever the region");
  assert.equal(forms.decimalMarks[1], ",");
  const readers = columnReaders(header, [...mapping], fields, forms, profiles);
  assert.equal(readers[4], null, "text columns have no reader");
  const check = (cells: string[]) => validateRow({ line: 2, raw: "", fields: cells }, [...mapping], "US", readers);
  assert.deepEqual(check(rows[0]!), {
    ok: true,
    values: {
      email: "a@example.com",
      emailKey: "a@example.com",
      first_name: null,
      last_name: null,
      phone: null,
      custom: { note: "1,5", amount: 1234.5, birthday: "1990-12-31", newsletter: true },
    },
  });
  const second = check(rows[1]!);
  assert.ok(second.ok);
  assert.deepEqual(second.values.custom, { amount: 7, birthday: "2000-02-01", newsletter: false });
  assert.deepEqual(check(["c@example.com", "12 kg", "31/12/1990", "x", ""]), { ok: false, reason: 'Amount "12 kg" is not a number (decimal mark ",")' });
  assert.deepEqual(check(["c@example.com", "1", "31/02/2024", "x", ""]), { ok: false, reason: 'Birthday "31/02/2024" is not a date (dd/mm/yyyy)' });
  assert.deepEqual(check(["c@example.com", "1", "", "maybe", ""]), {
    ok: false,
    reason: 'Newsletter "maybe" is not yes or no (yes/no, true/false, 1/0, sí/no, y/n or x)',
  });
  // Samples as the mapping step shows them.
  assert.deepEqual(
    readSamples(
      [
        ["a@example.com", "1.234,5"],
        ["b@example.com", "oops"],
        ["c@example.com", ""],
      ],
      1,
      readers[1]!,
    ),
    [
      { raw: "1.234,5", becomes: "1234.5", problem: null },
      { raw: "oops", becomes: null, problem: 'Amount "oops" is not a number (decimal mark ",")' },
      { raw: "", becomes: null, problem: null },
    ],
  );
  assert.deepEqual(
    ["date", "number", "boolean", "text"],
    [
      ["1/2/2000", "31/02/2024"],
      ["1,5", "7"],
      ["x", "X"],
      ["Ana", "1"],
    ].map((values) =>
      suggestType(
        profileRows(
          1,
          values.map((v) => [v]),
        )[0],
      ),
    ),
  );
});
