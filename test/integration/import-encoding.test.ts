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
  assert.deepEqual(
    rows.find((r) => r.email === "zoe@example.com"),
    { email: "zoe@example.com", first_name: "Zoë", last_name: "Ünal" },
  );
  assert.equal(rows.find((r) => r.email === "li@example.cn")!.first_name, "李");
  assert.equal(
    rows.some((r) => r.email === "bad@example.com"),
    false,
  );
  const report = await (await t.api(account.apiKey, `/imports/${id}/errors`)).text();
  assert.match(report, /\r\n7,"not valid UTF-8 \(column 2\)/);
});

/** Uploads `bytes` through the browser form and returns the draft's path. */
async function uploadInBrowser(cookie: string, bytes: Buffer, name: string): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)], { type: "text/csv" }), name);
  const res = await t.app.request("http://localhost/imports", { method: "POST", body: form, headers: { Cookie: cookie, Origin: "http://localhost" } });
  assert.equal(res.status, 303);
  return res.headers.get("location")!;
}

function encodingUsed(html: string): string {
  const m = /data-testid="encoding-used">([^<]+)<\/strong>\s*<span class="muted">\(([^)]+)\)/.exec(html);
  assert.ok(m, "the page says which encoding it read the file with");
  return `${m[1]} (${m[2]})`;
}

test("choosing Windows-1252 for a UTF-8 file changes the preview and what the import stores", async () => {
  const account = await t.createAccount();
  const cookie = account.adminCookie;
  const location = await uploadInBrowser(cookie, Buffer.from("email,first_name,last_name\nzoe@example.com,Zoë,Ünal\n"), "people.csv");
  assert.equal(encodingUsed(await (await t.browser(cookie, location)).text()), "UTF-8 (detected automatically)");
  const previewed = await t.browser(cookie, `${location}/preview`, { form: { map_0: "email", map_1: "first_name", map_2: "last_name", segment_mode: "none" } });
  assert.equal(previewed.status, 303);
  await t.runJobs();
  const preview = await (await t.browser(cookie, location)).text();
  assert.match(preview, /If you start the import now/);
  assert.equal(encodingUsed(preview), "UTF-8 (detected automatically)");

  const unknown = await t.browser(cookie, `${location}/encoding`, { form: { encoding: "ebcdic", edit: "0" } });
  assert.equal(unknown.status, 422);
  assert.match(await unknown.text(), /<small id="encoding-error" class="field-error">Choose an encoding from the list\.<\/small>/);

  const chosen = await t.browser(cookie, `${location}/encoding`, { form: { encoding: "windows-1252", edit: "0" } });
  assert.equal(chosen.status, 303);
  assert.equal(chosen.headers.get("location"), location, "same columns: back to the preview, which runs again");
  const [{ encoding_choice, preview_jobs }] = await queryRows<{ encoding_choice: string; preview_jobs: number }>(
    t.db,
    sql`select i.encoding_choice, (select count(*)::int from jobs j where j.account_id = i.account_id and j.kind = 'import_preview') as preview_jobs
        from imports i where i.account_id = ${account.accountId}`,
  );
  assert.deepEqual([encoding_choice, preview_jobs], ["windows-1252", 2]);
  await t.runJobs();
  const again = await (await t.browser(cookie, location)).text();
  assert.equal(encodingUsed(again), "Windows-1252 (as you chose)");
  assert.match(again, /<option value="windows-1252" selected="">Windows-1252<\/option>/);

  assert.equal((await t.browser(cookie, `${location}/start`, { form: {} })).status, 303);
  await t.runJobs();
  const rows = await queryRows<{ first_name: string; last_name: string }>(
    t.db,
    sql`select first_name, last_name from contacts where account_id = ${account.accountId}`,
  );
  assert.deepEqual([...rows], [{ first_name: "ZoÃ«", last_name: "Ãœnal" }], "the chosen encoding decoded the file");
  assert.match(await (await t.browser(cookie, location)).text(), /Read as Windows-1252 \(as chosen\)/);
});

test("Automatic reads a mostly-UTF-8 file as UTF-8 and the preview lists the bad lines; choosing again re-reads the columns", async () => {
  const account = await t.createAccount();
  const cookie = account.adminCookie;
  const lines = ["email,prénom", "zoe@example.com,Zoë", "a@example.com,Ana", "b@example.com,Bo"];
  const bytes = Buffer.concat([Buffer.from(lines.join("\n") + "\n"), Buffer.from("bad@example.com,R"), Buffer.from([0xe9]), Buffer.from("ne\n")]); // line 5
  const location = await uploadInBrowser(cookie, bytes, "mostly.csv");
  assert.equal((await t.browser(cookie, `${location}/preview`, { form: { map_0: "email", map_1: "first_name", segment_mode: "none" } })).status, 303);
  await t.runJobs();
  const preview = await (await t.browser(cookie, location)).text();
  assert.equal(encodingUsed(preview), "UTF-8 (detected automatically)");
  assert.match(preview, /<li>Line 5: not valid UTF-8 \(column 2\)/);

  // ISO-8859-1 reads the header's é as two characters: the columns change, so the mapping is shown again.
  const chosen = await t.browser(cookie, `${location}/encoding`, { form: { encoding: "iso-8859-1", edit: "0" } });
  assert.equal(chosen.headers.get("location"), `${location}?edit=1`);
  const mapping = await t.noticeAfter(cookie, chosen);
  assert.match(mapping, /The file is now read as ISO-8859-1\. Its columns read differently: check the mapping\./);
  const form = await (await t.browser(cookie, `${location}?edit=1`)).text();
  assert.match(form, /Import column &quot;prÃ©nom&quot; as|Import column "prÃ©nom" as/);
  assert.equal(encodingUsed(form), "ISO-8859-1 (as you chose)");

  const automatic = await t.browser(cookie, `${location}/encoding`, { form: { encoding: "auto", edit: "1" } });
  assert.match(await t.noticeAfter(cookie, automatic), /now read as UTF-8 \(detected automatically\)/);
  const [{ encoding, encoding_choice }] = await queryRows<{ encoding: string; encoding_choice: string | null }>(
    t.db,
    sql`select encoding, encoding_choice from imports where account_id = ${account.accountId}`,
  );
  assert.deepEqual([encoding, encoding_choice], ["utf-8", null]);
});
