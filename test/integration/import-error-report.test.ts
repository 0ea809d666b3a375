// The import error report is a CSV people open in spreadsheets: formula-like cells come back neutralised, as exports
// write them, and the download is never sniffed or cached.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { previewCsv } from "../../src/imports/parse";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("formula-like emails, cells and headers are neutralised in /imports/:id/errors", async () => {
  const account = await t.createAccount();
  const csv = [
    "email,first_name,@note",
    "ok@example.com,Ok,fine",
    '"=HYPERLINK(""http://evil.example"",""click"")",Eve,x', // 3
    "+cmd|' /C calc'!A0,Eve,x", // 4
    "-1+1,Eve,x", // 5
    "@SUM(1),Eve,=1+1", // 6
    '"\t=1+2",Eve,x', // 7
    '"\r=1+3",Eve,x', // 8
  ].join("\n");
  const res = await t.api(account.apiKey, "/imports", { method: "POST", body: new Uint8Array(Buffer.from(csv)), headers: { "Content-Type": "text/csv" } });
  assert.equal(res.status, 202);
  const { id } = (await res.json()) as { id: number };
  await t.runJobs();

  for (const download of [await t.api(account.apiKey, `/imports/${id}/errors`), await t.browser(account.adminCookie, `/imports/${id}/errors`)]) {
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("x-content-type-options"), "nosniff");
    assert.equal(download.headers.get("cache-control"), "private, no-store");
    const report = previewCsv(await download.text(), { maxRows: 100 });
    assert.deepEqual(report.header!.fields, ["line", "reason", "email", "first_name", "'@note"]);
    const rows = report.rows.map((r) => r.fields);
    assert.deepEqual(
      rows.map((r) => r[0]),
      ["3", "4", "5", "6", "7", "8"],
    );
    assert.deepEqual(
      rows.map((r) => r[2]),
      ['\'=HYPERLINK("http://evil.example","click")', "'+cmd|' /C calc'!A0", "'-1+1", "'@SUM(1)", "'\t=1+2", "'\r=1+3"],
    );
    assert.equal(rows[3]![4], "'=1+1");
    for (const row of rows) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)}`);
  }
});
