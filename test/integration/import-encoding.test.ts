// A UTF-8 file with a few invalid bytes is read as UTF-8: its names are stored as written, and only the rows with
// the bad bytes are reported, by line number.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("one invalid byte no longer turns the whole file into Windows-1252 mojibake", async () => {
  const account = await t.createAccount();
  const lines = ["email,first_name,last_name", "zoe@example.com,Zoë,Ünal", "li@example.cn,李,", "a@example.com,A,", "b@example.com,B,", "c@example.com,C,"];
  const bytes = Buffer.concat([Buffer.from(lines.join("\n") + "\n"), Buffer.from("bad@example.com,R"), Buffer.from([0xe9]), Buffer.from("ne,\n")]); // line 7
  const res = await t.api(account.apiKey, "/imports", { method: "POST", body: new Uint8Array(bytes), headers: { "Content-Type": "text/csv" } });
  assert.equal(res.status, 202);
  const { id } = (await res.json()) as { id: number };
  await t.runJobs();
  const result = (await (await t.api(account.apiKey, `/imports/${id}`)).json()) as { status: string; created: number; invalid: number };
  assert.deepEqual([result.status, result.created, result.invalid], ["completed", 5, 1]);
  const rows = await queryRows<{ email: string; first_name: string; last_name: string | null }>(
    t.db,
    sql`select email, first_name, last_name from contacts where account_id = ${account.accountId} order by email`,
  );
  assert.deepEqual(rows.find((r) => r.email === "zoe@example.com"), { email: "zoe@example.com", first_name: "Zoë", last_name: "Ünal" });
  assert.equal(rows.find((r) => r.email === "li@example.cn")!.first_name, "李");
  assert.equal(rows.some((r) => r.email === "bad@example.com"), false);
  const report = await (await t.api(account.apiKey, `/imports/${id}/errors`)).text();
  assert.match(report, /\r\n7,"not valid UTF-8 \(column 2\)/);
});
