// Benchmark of the CSV import core: generates a 1M-row file in bench/out/ and prints rows/s and peak RSS per stage.
//
// Usage: npx tsx bench/parse-csv.ts [rows]
// Each stage runs in its own child process so its peak RSS is its own. To compare with csv-parse and
// papaparse without adding them to the project, install them elsewhere and point at that folder:
//   (mkdir -p /tmp/csvcmp && cd /tmp/csvcmp && npm i csv-parse papaparse)
//   BENCH_COMPARE_DIR=/tmp/csvcmp npx tsx bench/parse-csv.ts
import { createReadStream, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scanEncoding } from "../src/imports/decode";
import { openCsvStream } from "../src/imports/parse";
import { mapHeaders } from "../src/imports/headers";
import { validateRow } from "../src/imports/validate";
import { ensureContactsCsv } from "./contacts-csv";

const outDir = join(fileURLToPath(new URL(".", import.meta.url)), "out");

async function runStage(stage: string, path: string): Promise<void> {
  const started = performance.now();
  let rows = 0;
  let invalid = 0;
  if (stage === "scan-encoding") {
    const encoding = await scanEncoding(createReadStream(path, { highWaterMark: 1 << 20 }));
    rows = -1;
    report(stage, started, rows, `encoding ${encoding}`);
    return;
  }
  if (stage === "parse" || stage === "parse+validate") {
    const csv = await openCsvStream(createReadStream(path));
    const mapping = mapHeaders(csv.header?.fields ?? []);
    for await (const batch of csv.batches) {
      rows += batch.length;
      if (stage === "parse+validate") for (const record of batch) if (!validateRow(record, mapping, "US").ok) invalid++;
    }
    report(stage, started, rows, stage === "parse+validate" ? `${invalid} invalid` : "");
    return;
  }
  const compareDir = process.env.BENCH_COMPARE_DIR!;
  const require = createRequire(join(compareDir, "noop.js"));
  if (stage === "csv-parse(info,raw)") {
    const { parse } = require("csv-parse") as { parse: (options: object) => NodeJS.ReadWriteStream };
    const parser = createReadStream(path).pipe(parse({ info: true, raw: true, relax_column_count: true }));
    for await (const record of parser) if (record) rows++;
  } else if (stage === "papaparse") {
    const Papa = require("papaparse");
    await new Promise<void>((resolve, reject) => {
      Papa.parse(createReadStream(path, "utf8"), {
        step: () => {
          rows++;
        },
        complete: () => resolve(),
        error: reject,
      });
    });
  }
  report(stage, started, rows, "");
}

function report(stage: string, started: number, rows: number, note: string): void {
  const seconds = (performance.now() - started) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  const rate = rows >= 0 ? `${rows.toLocaleString("en")} rows, ${Math.round(rows / seconds).toLocaleString("en")} rows/s` : "";
  console.log(`${stage.padEnd(22)} ${seconds.toFixed(2).padStart(6)} s  ${rate.padStart(34)}  peak RSS ${rss.toFixed(0)} MB  ${note}`);
}

const [arg1, arg2] = process.argv.slice(2);
if (arg1 === "--stage") {
  await runStage(arg2!, join(outDir, "contacts.csv"));
} else {
  const rows = Number(arg1 ?? 1_000_000);
  const path = await ensureContactsCsv(outDir, rows);
  console.log(`${path}: ${rows.toLocaleString("en")} rows, ${(statSync(path).size / 1e6).toFixed(1)} MB`);
  const stages = ["scan-encoding", "parse", "parse+validate"];
  if (process.env.BENCH_COMPARE_DIR) stages.push("csv-parse(info,raw)", "papaparse");
  for (const stage of stages) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--stage", stage], {
      stdio: "inherit",
    });
    if (child.status !== 0) process.exitCode = 1;
  }
}
