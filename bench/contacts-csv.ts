// The 1,000,000-row contacts CSV the import benchmarks share: ~8% quoted fields, accents, quotes and line
// breaks inside quoted values, the same bytes on every run (a seeded generator).
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FIRST = ["Jean", "Zoé", "Anaïs", "Jürgen", "María", "Søren", "Amélie", "Ola", "Chloé", "François", "Ana", "Li", "Émile", "Björn"];
const LAST = ["Dupont", "Müller", "García", "Nøstvik", "O'Brien", "Lefèvre", "Smith", "Kowalski", "Åberg", "Núñez", "Dubois"];
const CITY = ["Paris", "München", "São Paulo", "Zürich", "Kraków", "Lyon", "Malmö", "Córdoba", "Oslo", "Québec"];
const COMPANY = ["Acme", "Initech", "Globex", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * `differEvery`: every so many rows (the first of each run) get another email ("x" before it), the same rows on
 * every run: the file of a list that moved on since (bench/sync.ts replaces a segment with it).
 */
export async function generateContactsCsv(path: string, rows: number, options: { differEvery?: number } = {}): Promise<void> {
  const random = rng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  // About 8% of fields quoted: some because they need it (delimiter, quote, line break), some not.
  const field = (value: string): string => (random() < 0.09 ? `"${value}"` : value);
  const out = createWriteStream(path);
  let batch = "email,first_name,last_name,phone,city,company\n";
  for (let i = 0; i < rows; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const r = random();
    let company = pick(COMPANY);
    if (r < 0.01) company = `"${company}\nBranch ${i % 7}"`;
    else if (r < 0.03) company = `"${company}, Inc."`;
    else if (r < 0.04) company = `"${company} ""The Best"""`;
    else company = field(company);
    const changed = options.differEvery !== undefined && i % options.differEvery === 0 ? "x" : "";
    const email = `${changed}${first.toLowerCase()}.${last.toLowerCase().replace(/'/g, "")}${i}@example.com`;
    batch += `${field(email)},${field(first)},${field(last)},+33 6 ${String(10000000 + i).slice(0, 8)},${field(pick(CITY))},${company}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      batch = "";
    }
  }
  out.end(batch);
  await new Promise<void>((resolve) => out.on("finish", () => resolve()));
}

/**
 * bench/out/contacts.csv with `rows` rows, generated only when the last generation was for another count
 * (the marker file names the count; a generation clears the other markers).
 */
export async function ensureContactsCsv(outDir: string, rows: number): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "contacts.csv");
  const marker = join(outDir, `contacts-${rows}.done`);
  if (existsSync(marker) && existsSync(path)) return path;
  for (const f of readdirSync(outDir)) if (/^contacts-\d+\.done$/.test(f)) rmSync(join(outDir, f));
  await generateContactsCsv(path, rows);
  writeFileSync(marker, "");
  return path;
}
