// Formats 1M synthetic contacts (6 columns) to every export format and prints rows/s, MB/s, CPU and peak RSS.
// Each format runs in its own process so peak RSS is its own. Output goes to /dev/null, or to bench/out/
// with --out. Usage: npx tsx bench/export-format.ts [--rows N] [--out] [format...]
import { execFileSync } from "node:child_process";
import { closeSync, createWriteStream, mkdirSync, openSync, writeSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { stringify } from "csv-stringify";
import { EXPORT_FORMATS, createExportStream, createExportWriter, fileInfo, isExportFormat, type ExportColumn, type ExportRow } from "../src/exports/formats";

const COLUMNS: ExportColumn[] = [
  { key: "id", label: "ID", type: "number" },
  { key: "email", label: "E-mail", type: "text" },
  { key: "first_name", label: "Prénom", type: "text" },
  { key: "last_name", label: "Nom", type: "text" },
  { key: "phone", label: "Téléphone", type: "text" },
  { key: "created_at", label: "Créé le", type: "datetime" },
];
const BATCH = 5000;
const FIRST = ["Zoé", "Jean", "Ana", "Håkon", "Łukasz", "Chloë", "Mike", "Renée", "Søren", "Inès"];
const LAST = ["Müller", "Dupont, Jr.", "O'Brien", "García", "Smith", "Nguyễn", "Lefèvre", "Kowalski", "Brown", "Ibáñez", "Rossi", "Dubois"];

// 10,000 distinct rows reused in turn: generating rows is not what is measured, and 1 MB of distinct
// text per cycle is far beyond deflate's 32 KB window, so the xlsx ratio stays realistic.
function makeRows(): ExportRow[] {
  const rows: ExportRow[] = [];
  for (let i = 0; i < 10_000; i++) {
    rows.push({
      id: i + 1,
      email: `${FIRST[i % FIRST.length]!.toLowerCase()}.${i * 7919}@example.com`,
      first_name: FIRST[(i * 3) % FIRST.length],
      last_name: i % 13 === 0 ? `${LAST[i % LAST.length]} "the ${i}th"` : LAST[i % LAST.length],
      phone:
        i % 5 === 0
          ? null
          : `+33 6 ${String(i % 100).padStart(2, "0")} ${String((i * 31) % 100).padStart(2, "0")} ${String((i * 17) % 100).padStart(2, "0")} 00`,
      created_at: new Date(Date.UTC(2023, 0, 1) + i * 3_600_000 + (i % 1000)),
    });
  }
  return rows;
}

function* batches(total: number, pool: ExportRow[]): Generator<ExportRow[]> {
  for (let done = 0; done < total; done += BATCH) {
    const start = done % pool.length;
    yield pool.slice(start, start + Math.min(BATCH, total - done));
  }
}

async function runOne(mode: string, total: number, out: string): Promise<void> {
  const pool = makeRows();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  if (mode === "csv-stringify" || mode === "csv-stream") {
    // csv-stringify: the baseline the brief names; csv-stream: our writer through its Transform and pipeline().
    const file = createWriteStream(out);
    const source = Readable.from(batches(total, pool));
    if (mode === "csv-stream") await pipeline(source, createExportStream("csv", COLUMNS), file);
    else {
      const rows = async function* (src: AsyncIterable<ExportRow[]>) {
        for await (const batch of src) for (const row of batch) yield COLUMNS.map((c) => row[c.key]);
      };
      await pipeline(source, rows, stringify({ header: true, columns: COLUMNS.map((c) => c.label), cast: { date: (d) => d.toISOString() } }), file);
    }
    bytes = file.bytesWritten;
  } else {
    if (!isExportFormat(mode)) throw new Error(`unknown format ${mode}`);
    const fd = openSync(out, "w");
    const writer = createExportWriter(mode, COLUMNS);
    for (const batch of batches(total, pool)) {
      const chunk = writer.write(batch);
      if (chunk.length > 0) bytes += writeSync(fd, chunk);
    }
    bytes += writeSync(fd, writer.end());
    closeSync(fd);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({ mode, rows: total, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes, peakRssMB: process.resourceUsage().maxRSS / 1024 }),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rowsAt = args.indexOf("--rows");
  const total = rowsAt >= 0 ? Number(args[rowsAt + 1]) : 1_000_000;
  const toFiles = args.includes("--out");
  const child = args.indexOf("--child");
  if (child >= 0) return runOne(args[child + 1]!, total, args[child + 2]!);

  const named = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--rows");
  const modes = named.length > 0 ? named : [...EXPORT_FORMATS, "csv-stream", "csv-stringify"];
  const outDir = fileURLToPath(new URL("./out/", import.meta.url));
  if (toFiles) mkdirSync(outDir, { recursive: true });
  console.log(`${total.toLocaleString("en")} rows x ${COLUMNS.length} columns, batches of ${BATCH}, node ${process.version}`);
  console.log("format         wall s   CPU s     rows/s    MB/s   output MB  peak RSS MB");
  for (const mode of modes) {
    const ext = isExportFormat(mode) ? fileInfo(mode).extension : "csv";
    const out = toFiles ? `${outDir}export-${mode}.${ext}` : "/dev/null";
    const line = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--rows", String(total), "--child", mode, out], {
      encoding: "utf8",
    });
    const r = JSON.parse(line.trim().split("\n").pop()!) as { seconds: number; cpuSeconds: number; bytes: number; peakRssMB: number };
    const mb = r.bytes / 1e6;
    console.log(
      `${mode.padEnd(13)} ${r.seconds.toFixed(2).padStart(7)} ${r.cpuSeconds.toFixed(2).padStart(7)} ${Math.round(total / r.seconds)
        .toLocaleString("en")
        .padStart(10)} ${(mb / r.seconds).toFixed(1).padStart(7)} ${mb.toFixed(1).padStart(11)} ${r.peakRssMB.toFixed(0).padStart(12)}`,
    );
  }
}

await main();
