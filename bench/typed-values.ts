// Benchmark of typed value reading in imports: values/s of each parser, and rows/s of validateRow with and without typed columns.
//
// Usage: npx tsx bench/typed-values.ts [rows]   (default 1,000,000; pure CPU, no database)
import { parseDate, parseNumber, parseYesNo, profileValue, emptyProfile } from "../src/custom-fields/typed-values";
import { columnReaders, resolveValueForms, type TypedFieldRef } from "../src/imports/typed-columns";
import { validateRow } from "../src/imports/validate";
import type { ColumnTarget } from "../src/imports/headers";
import type { CsvRecord } from "../src/imports/parse";

const rows = Number(process.argv[2] ?? 1_000_000);
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

// Values as spreadsheets write them, varied so nothing is cached by accident.
const dates = Array.from({ length: rows }, (_, i) => `${pad((i % 28) + 1)}/${pad((i % 12) + 1)}/${1950 + (i % 70)}`);
const commaNumbers = Array.from({ length: rows }, (_, i) =>
  i % 3 === 0 ? `${i % 10_000},${i % 100}` : i % 3 === 1 ? `${1 + (i % 9)}.${String(i % 1000).padStart(3, "0")},5` : String(i),
);
const pointNumbers = Array.from({ length: rows }, (_, i) =>
  i % 2 === 0 ? `${i % 10_000}.${i % 100}` : `${1 + (i % 9)},${String(i % 1000).padStart(3, "0")}.25`,
);
const yesNo = ["yes", "No", "TRUE", "false", "1", "0", "sí", "y", "x", "N"];
const words = Array.from({ length: rows }, (_, i) => yesNo[i % yesNo.length]!);

function measure(name: string, values: readonly string[], fn: (v: string) => unknown): void {
  let sink = 0;
  for (let i = 0; i < Math.min(values.length, 50_000); i++) if (fn(values[i]!) != null) sink++; // warm up
  const started = performance.now();
  for (let i = 0; i < values.length; i++) if (fn(values[i]!) != null) sink++;
  const ms = performance.now() - started;
  console.log(
    `${name.padEnd(34)} ${Math.round(values.length / (ms / 1000))
      .toLocaleString("en")
      .padStart(12)} values/s  (${ms.toFixed(0)} ms, ${sink} read)`,
  );
}

console.log(`${rows.toLocaleString("en")} values each, Node ${process.version}`);
measure("parseDate dd/mm/yyyy", dates, (v) => parseDate(v, "dmy"));
measure(
  "parseDate yyyy-mm-dd",
  dates.map((d) => `${d.slice(6)}-${d.slice(3, 5)}-${d.slice(0, 2)}`),
  (v) => parseDate(v, "dmy"),
);
measure("parseNumber decimal comma", commaNumbers, (v) => parseNumber(v, ","));
measure("parseNumber decimal point", pointNumbers, (v) => parseNumber(v, "."));
measure("parseYesNo", words, parseYesNo);
const profile = emptyProfile();
measure("profileValue (upload's first rows)", dates, (v) => {
  profileValue(profile, v);
  return profile.values;
});

// validateRow over rows of email, name, a date, a number and a yes/no column: plain (today's text) and typed.
const header = ["email", "first_name", "birthday", "amount", "newsletter"];
const records: CsvRecord[] = Array.from({ length: rows }, (_, i) => ({
  line: i + 2,
  raw: "",
  fields: [`user${i}@example.com`, `Name${i % 1000}`, dates[i]!, commaNumbers[i]!, words[i]!],
}));
const fields: TypedFieldRef[] = [
  { key: "birthday", label: "Birthday", type: "date" },
  { key: "amount", label: "Amount", type: "number" },
  { key: "newsletter", label: "Newsletter", type: "boolean" },
];
const mapping: ColumnTarget[] = ["email", "first_name", "custom:birthday", "custom:amount", "custom:newsletter"];
const forms = resolveValueForms({ header, profiles: [], dateForm: "dmy", decimalMark: "," }, "ES");
const readers = columnReaders(header, mapping, fields, forms);
for (const [name, r] of [
  ["validateRow, 3 custom columns as text", undefined],
  ["validateRow, 3 typed custom columns", readers],
] as const) {
  let ok = 0;
  for (let i = 0; i < 50_000; i++) if (validateRow(records[i]!, mapping, "ES", r).ok) ok++;
  const started = performance.now();
  ok = 0;
  for (const record of records) if (validateRow(record, mapping, "ES", r).ok) ok++;
  const ms = performance.now() - started;
  console.log(
    `${name.padEnd(34)} ${Math.round(rows / (ms / 1000))
      .toLocaleString("en")
      .padStart(12)} rows/s    (${ms.toFixed(0)} ms, ${ok} valid)`,
  );
}
