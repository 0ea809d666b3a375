import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "../../src/app";
import { upsertContacts } from "../../src/contacts/upsert";
import { openDatabase, queryRows, type Db } from "../../src/db/client";
import { customFieldsTable, exportsTable, filesTable, segmentsTable } from "../../src/db/schema";
import { restoreNeutralisedFormula } from "../../src/exports/formats";
import { parseCopyLines } from "../../src/exports/copy-text";
import { EXPORTS_PAGE_SIZE } from "../../src/exports/queries";
import { runExportJob } from "../../src/exports/run";
import { mapHeaders } from "../../src/imports/headers";
import { openCsvStream } from "../../src/imports/parse";
import { setFileExpiry } from "../../src/files/store";
import { jobHandlers } from "../../src/jobs/handlers";
import { runMaintenance } from "../../src/jobs/maintenance";
import { drainJobs } from "../../src/jobs/worker";
import { addContactsToSegment, removeContactsFromSegment } from "../../src/segments/membership";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

const source = { type: "user" as const, id: null, label: "Tests" };

/** The file with its data rows sorted: an export's row order is not part of its contract (on PostgreSQL it is
 * the database's own order, unsorted). Rows here hold no line break of their own. */
function inRowOrder(text: string, rowEnd: string): string {
  const [header, ...rows] = text.split(rowEnd).filter((r, i, all) => r !== "" || i < all.length - 1);
  return [header, ...rows.sort()].map((r) => r + rowEnd).join("");
}

async function makeSegment(db: Db, accountId: number, name: string): Promise<number> {
  const [s] = await db.insert(segmentsTable).values({ accountId, name }).returning({ id: segmentsTable.id });
  return s!.id;
}

/** An account with a custom field, a 3-member segment (awkward values included) and one contact outside it. */
async function seed(a: TestAccount) {
  await t.db.insert(customFieldsTable).values([
    { accountId: a.accountId, key: "tier", label: "Loyalty tier", type: "text" },
    { accountId: a.accountId, key: "points", label: "Points", type: "number" },
  ]);
  const contacts = await upsertContacts(
    t.db,
    a.accountId,
    [
      { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", phone: "+44 20 7946 0000", custom: { tier: "gold", points: 120 } },
      { email: "evil@example.com", firstName: '=HYPERLINK("http://x")', lastName: 'Smith, "Jr."', phone: "-2+3", custom: { tier: "@SUM(A1)" } },
      { email: "zoe@example.com", firstName: "Zoë", lastName: "Line\nbreak", custom: { tier: "'=already" } },
      { email: "out@example.com", firstName: "Outside" },
    ],
    { overwrite: false },
  );
  const segmentId = await makeSegment(t.db, a.accountId, `Spring Sale ${a.accountId}`);
  const members = contacts.filter((c) => c.emailKey !== "out@example.com").map((c) => c.id);
  await addContactsToSegment(t.db, a.accountId, segmentId, members, source);
  return { segmentId, contacts };
}

async function download(a: TestAccount, id: number): Promise<Response> {
  const res = await t.api(a.apiKey, `/exports/${id}`);
  const body = (await res.json()) as { download_url: string | null; status: string };
  assert.equal(body.status, "completed");
  assert.ok(body.download_url);
  return t.app.request(`http://localhost${body.download_url}`, { headers: { Authorization: `Bearer ${a.apiKey}` } });
}

async function exportVia(a: TestAccount, payload: Record<string, unknown>): Promise<{ id: number; res: Response }> {
  const created = await t.api(a.apiKey, "/exports", { json: payload });
  assert.equal(created.status, 202, await created.clone().text());
  const { id, status } = (await created.json()) as { id: number; status: string };
  assert.equal(status, "queued");
  await t.runJobs();
  return { id, res: await download(a, id) };
}

test("the wizard, step by step as plain form posts, then the list, the job and the download", async () => {
  const a = await t.createAccount();
  const { segmentId } = await seed(a);
  const cookie = a.adminCookie;

  const first = await t.browser(cookie, "/exports/new");
  const page1 = await first.text();
  assert.match(page1, /Type of export/);
  assert.match(page1, /Contacts/);

  const step2 = await (await t.browser(cookie, "/exports/new", { form: { step: "type", type: "contacts", action: "next" } })).text();
  assert.match(step2, /<h2>Segment<\/h2>/);
  assert.match(step2, new RegExp(`Spring Sale ${a.accountId} \\(3 members\\)`));

  const base = { type: "contacts", segment: String(segmentId) };
  const step3 = await (
    await t.browser(cookie, "/exports/new", { form: { ...base, step: "segment", fields: ["email", "first_name", "last_name"], action: "next" } })
  ).text();
  assert.match(step3, /<h2>Properties<\/h2>/);
  for (const label of ["Email", "First Name", "Phone", "Created at", "Loyalty tier", "Date added to segment", "Added by"])
    assert.ok(step3.includes(label), label);
  assert.match(step3, /Select <button[^>]*>all<\/button> \/ <button[^>]*>none<\/button>/);

  const all = await (await t.browser(cookie, "/exports/new", { form: { ...base, step: "properties", action: "all" } })).text();
  assert.equal((all.match(/type="checkbox"[^>]*checked/g) ?? []).length, 10);
  const none = await t.browser(cookie, "/exports/new", { form: { ...base, step: "properties", fields: ["email"], action: "none" } });
  assert.equal(((await none.text()).match(/type="checkbox"[^>]*checked/g) ?? []).length, 0);
  const empty = await t.browser(cookie, "/exports/new", { form: { ...base, step: "properties", action: "next" } });
  assert.equal(empty.status, 422);
  assert.match(await empty.text(), /Choose at least one property/);

  const step4 = await (
    await t.browser(cookie, "/exports/new", { form: { ...base, step: "properties", fields: ["email", "source_label", "custom:tier"], action: "next" } })
  ).text();
  assert.match(step4, /Output format/);
  for (const label of ["CSV (comma)", "CSV for Excel (semicolon, UTF-8 with BOM)", "TSV", "JSON Lines", "Excel workbook (.xlsx)"])
    assert.ok(step4.includes(label), label);
  assert.match(step4, /Start export/);

  const started = await t.browser(cookie, "/exports/new", {
    form: { ...base, step: "format", fields: ["email", "custom:tier", "source_label"], format: "csv", action: "start" },
  });
  assert.equal(started.status, 303);
  const summaryUrl = started.headers.get("Location")!;
  const summary = await (await t.browser(cookie, summaryUrl)).text();
  assert.match(summary, /Go to export list/);
  assert.match(summary, /Email, Loyalty tier, Added by/);
  assert.match(summary, /Estimated rows<\/dt><dd>3</);
  assert.match(summary, /CSV \(comma\)/);

  // htmx asks for the list fragment: it polls while the export waits, and stops once it has ended.
  const queued = await (await t.browser(cookie, "/exports", { headers: { "HX-Request": "true" } })).text();
  assert.match(queued, /badge queued/);
  assert.match(queued, /hx-trigger="load delay:1s"/);
  assert.doesNotMatch(queued, /<html/);
  assert.equal(await t.runJobs(), 1);
  const done = await (await t.browser(cookie, "/exports", { headers: { "HX-Request": "true" } })).text();
  assert.match(done, /badge completed/);
  assert.doesNotMatch(done, /hx-trigger/);
  const link = /href="(\/exports\/([a-z0-9]{32})\/download)"/.exec(done);
  assert.ok(link, "a download link naming a 32-character random token");

  const file = await t.browser(cookie, link[1]!);
  assert.equal(file.status, 200);
  assert.match(file.headers.get("Content-Disposition")!, new RegExp(`attachment; filename="spring-sale-${a.accountId}-\\d{4}-\\d{2}-\\d{2}\\.csv"`));
  assert.equal(file.headers.get("Content-Type"), "text/csv; charset=utf-8");
  const text = await file.text();
  assert.equal(Number(file.headers.get("Content-Length")), Buffer.byteLength(text));
  assert.equal(
    inRowOrder(text, "\r\n"),
    "Email,Loyalty tier,Added by\r\n" + "ada@example.com,gold,Tests\r\n" + "evil@example.com,'@SUM(A1),Tests\r\n" + "zoe@example.com,''=already,Tests\r\n",
  );
});

test("htmx: each wizard step swaps the card in place, and Start export answers with the summary card", async () => {
  const a = await t.createAccount();
  await seed(a);
  const hx = { "HX-Request": "true" };
  const step2 = await t.browser(a.adminCookie, "/exports/new", { form: { step: "type", type: "contacts", action: "next" }, headers: hx });
  const html = await step2.text();
  assert.match(html, /^<article id="export-wizard"/);
  assert.match(step2.headers.get("Vary") ?? "", /(^|, )HX-Request(,|$)/);
  const started = await t.browser(a.adminCookie, "/exports/new", {
    form: { step: "format", type: "contacts", segment: "all", fields: ["email"], format: "jsonl", action: "start" },
    headers: hx,
  });
  assert.equal(started.status, 201);
  const card = await started.text();
  assert.match(card, /^<article id="export-wizard"/);
  assert.match(card, /All contacts/);
  assert.match(card, /Estimated rows<\/dt><dd>4</);
  assert.match(card, /href="\/exports" role="button">Go to export list/);
});

test("each format: headers in the chosen order, ISO dates, escaping and formula neutralisation", async () => {
  const a = await t.createAccount();
  const { segmentId } = await seed(a);
  const fields = ["last_name", "email", "first_name", "phone", "custom:points", "added_at"];

  const csv = await (await exportVia(a, { segment_id: segmentId, fields, format: "csv" })).res.text();
  const lines = csv.split("\r\n");
  assert.equal(lines[0], "Last Name,Email,First Name,Phone,Points,Date added to segment");
  const row = (email: string) => lines.find((l) => l.includes(email)) ?? "";
  assert.match(row("ada@example.com"), /^Lovelace,ada@example\.com,Ada,\+44 20 7946 0000,120,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(row("evil@example.com"), /^"Smith, ""Jr\.""",evil@example\.com,"'=HYPERLINK\(""http:\/\/x""\)",'-2\+3,,/);
  assert.match(csv, /"Line\r?\nbreak",zoe@example\.com,Zoë,,,/);

  const excel = Buffer.from(await (await exportVia(a, { segment_id: segmentId, fields: ["email", "first_name"], format: "csv_excel" })).res.arrayBuffer());
  assert.deepEqual([...excel.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.equal(
    inRowOrder(excel.subarray(3).toString("utf8"), "\r\n"),
    'Email;First Name\r\nada@example.com;Ada\r\nevil@example.com;"\'=HYPERLINK(""http://x"")"\r\nzoe@example.com;Zoë\r\n',
  );

  const tsv = await (await exportVia(a, { segment_id: segmentId, fields: ["email", "custom:tier", "source_label"], format: "tsv" })).res.text();
  assert.equal(
    inRowOrder(tsv, "\n"),
    "Email\tLoyalty tier\tAdded by\nada@example.com\tgold\tTests\nevil@example.com\t'@SUM(A1)\tTests\nzoe@example.com\t''=already\tTests\n",
  );

  const jsonl = await (await exportVia(a, { segment_id: null, fields: ["email", "first_name", "custom:points", "created_at"], format: "jsonl" })).res.text();
  const objects = jsonl
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(objects.length, 4, "all contacts, including the one outside the segment");
  assert.deepEqual(Object.keys(objects[0]), ["email", "first_name", "points", "created_at"]);
  assert.equal(objects[0].points, 120, "a number custom field stays a number");
  assert.equal(objects[1].first_name, '=HYPERLINK("http://x")', "JSON Lines is not neutralised");
  assert.match(objects[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const { id, res } = await exportVia(a, { segment_id: segmentId, fields: ["email", "first_name", "added_at"], format: "xlsx" });
  assert.equal(res.headers.get("Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  const dir = mkdtempSync(join(tmpdir(), "roster-xlsx-"));
  try {
    const path = join(dir, "export.xlsx");
    writeFileSync(path, Buffer.from(await res.arrayBuffer()));
    assert.match(execFileSync("unzip", ["-t", path], { encoding: "utf8" }), /No errors detected/);
    const sheet = execFileSync("unzip", ["-p", path, "xl/worksheets/sheet1.xml"], { encoding: "utf8" });
    assert.match(sheet, /Date added to segment/);
    assert.match(sheet, /<c r="B3" s="3" t="inlineStr"><is><t>=HYPERLINK\("http:\/\/x"\)<\/t>/, "the exact value, as text with the quotePrefix style");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const listed = (await (await t.api(a.apiKey, "/exports")).json()) as { data: { id: number; format: string; rows_total: number; size_bytes: number }[] };
  assert.equal(listed.data.length, 5);
  assert.equal(listed.data[0]!.id, id);
  assert.equal(listed.data[0]!.rows_total, 3);
  assert.ok(listed.data[0]!.size_bytes > 0);
});

test("a CSV export imports back unchanged (the importer's header mapping and restoreNeutralisedFormula)", async () => {
  const a = await t.createAccount();
  const { segmentId } = await seed(a);
  const { res } = await exportVia(a, { segment_id: segmentId, fields: ["email", "first_name", "last_name", "phone", "custom:tier"], format: "csv" });
  const bytes = Buffer.from(await res.arrayBuffer());
  const csv = await openCsvStream(
    (async function* () {
      yield bytes;
    })(),
  );
  const targets = mapHeaders(csv.header!.fields, [{ key: "tier", label: "Loyalty tier" }]);
  assert.deepEqual(targets, ["email", "first_name", "last_name", "phone", "custom:tier"]);
  const imported: Record<string, string>[] = [];
  for await (const batch of csv.batches) {
    for (const r of batch) imported.push(Object.fromEntries(r.fields.map((v, i) => [targets[i]!, restoreNeutralisedFormula(v)])));
  }
  const stored = await queryRows<Record<string, string | null>>(
    t.db,
    sql`select c.email, coalesce(c.first_name, '') as first_name, coalesce(c.last_name, '') as last_name, coalesce(c.phone, '') as phone,
          coalesce(c.custom->>'tier', '') as "custom:tier"
        from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id
        where m.account_id = ${a.accountId} and m.segment_id = ${segmentId} order by c.id`,
  );
  assert.deepEqual(imported, [...stored]);
});

test("the API validates its input and answers another account's export with 404", async () => {
  const a = await t.createAccount();
  const b = await t.createAccount();
  const { segmentId } = await seed(a);
  const bad = await t.api(a.apiKey, "/exports", { json: { segment_id: null, fields: ["email"], format: "pdf" } });
  assert.equal(bad.status, 422);
  const badError = ((await bad.json()) as { error: { code: string; former_code: string; details: { path: string }[]; issues: unknown } }).error;
  assert.deepEqual([badError.code, badError.former_code], ["validation_failed", "invalid"]);
  assert.deepEqual(
    badError.details.map((d) => d.path),
    ["format"],
  );
  assert.deepEqual(badError.issues, badError.details, "the former name of details answers for one release");
  const unknown = await t.api(a.apiKey, "/exports", { json: { segment_id: null, fields: ["email", "added_at", "nope"], format: "csv" } });
  assert.equal(unknown.status, 422);
  const unknownError = ((await unknown.json()) as { error: { code: string; former_code: string; fields: string[] } }).error;
  assert.deepEqual([unknownError.code, unknownError.former_code], ["validation_failed", "unknown_fields"]);
  assert.deepEqual(unknownError.fields, ["added_at", "nope"], "membership columns need a segment");
  const otherSegment = await t.api(b.apiKey, "/exports", { json: { segment_id: segmentId, fields: ["email"], format: "csv" } });
  assert.equal(otherSegment.status, 404);
  const otherError = ((await otherSegment.json()) as { error: { code: string; field: string; former_code: string } }).error;
  assert.deepEqual([otherError.code, otherError.field, otherError.former_code], ["not_found", "segment_id", "segment_not_found"]);
  const { id } = await exportVia(a, { segment_id: segmentId, fields: ["email"], format: "csv" });
  const mine = (await (await t.api(a.apiKey, `/exports/${id}`)).json()) as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(mine).filter((k) => ["id", "status", "rows_done", "rows_total", "size_bytes", "download_url", "expires_at", "error"].includes(k)).length,
    8,
  );
  assert.equal(mine.rows_done, 3);
  assert.equal(mine.rows_total, 3);
  assert.match(String(mine.download_url), /^\/api\/v1\/exports\/[a-z0-9]{32}\/download$/);
  assert.ok(!String(mine.download_url).includes(`/${id}/`), "the download URL does not carry the sequential id");
  const expires = new Date(String(mine.expires_at)).getTime() - Date.now();
  assert.ok(expires > 6.9 * 86_400_000 && expires < 7.1 * 86_400_000, "files live 7 days by default");
  assert.equal((await t.api(b.apiKey, `/exports/${id}`)).status, 404);
  const stolen = await t.app.request(`http://localhost${mine.download_url}`, { headers: { Authorization: `Bearer ${b.apiKey}` } });
  assert.equal(stolen.status, 404);
  assert.equal((await t.api(null, `/exports/${id}/download`)).status, 401);
});

test("downloads are refused to another account, to a viewer and to a signed-out visitor", async () => {
  const a = await t.createAccount();
  const b = await t.createAccount();
  const { segmentId } = await seed(a);
  await exportVia(a, { segment_id: segmentId, fields: ["email"], format: "csv" });
  const list = await (await t.browser(a.adminCookie, "/exports")).text();
  const url = /href="(\/exports\/[a-z0-9]{32}\/download)"/.exec(list)![1]!;
  assert.equal((await t.browser(a.adminCookie, url)).status, 200);
  const editor = await a.userCookie("editor");
  assert.equal((await t.browser(editor, url)).status, 200, "an editor of the account may download");
  const other = await t.browser(b.adminCookie, url);
  assert.equal(other.status, 404);
  assert.doesNotMatch(await other.text(), /ada@example/);
  const viewer = await a.userCookie("viewer");
  assert.equal((await t.browser(viewer, url)).status, 403);
  assert.equal((await t.browser(viewer, "/exports/new")).status, 403);
  assert.equal((await t.browser(viewer, "/exports")).status, 403);
  const anonymous = await t.browser(null, url);
  assert.equal(anonymous.status, 303);
  assert.match(anonymous.headers.get("Location")!, /^\/sign-in/);
});

test("expiry: maintenance marks the export expired and purges its file", async () => {
  const a = await t.createAccount();
  const { segmentId } = await seed(a);
  const { id } = await exportVia(a, { segment_id: segmentId, fields: ["email"], format: "csv" });
  const [row] = await t.db
    .select()
    .from(exportsTable)
    .where(and(eq(exportsTable.accountId, a.accountId), eq(exportsTable.id, id)));
  const fileId = row!.fileId!;
  await runMaintenance(t.db);
  assert.equal(((await (await t.api(a.apiKey, `/exports/${id}`)).json()) as { status: string }).status, "completed", "not yet expired");
  await setFileExpiry(t.db, a.accountId, fileId, new Date(Date.now() - 1000));
  await runMaintenance(t.db);
  const body = (await (await t.api(a.apiKey, `/exports/${id}`)).json()) as { status: string; download_url: string | null };
  assert.equal(body.status, "expired");
  assert.equal(body.download_url, null);
  assert.equal(
    (
      await t.db
        .select()
        .from(filesTable)
        .where(and(eq(filesTable.accountId, a.accountId), eq(filesTable.id, fileId)))
    ).length,
    0,
    "the file is purged",
  );
  assert.equal((await t.api(a.apiKey, `/exports/${id}/download`)).status, 409);
  const list = await (await t.browser(a.adminCookie, "/exports")).text();
  assert.match(list, /badge expired/);
  assert.doesNotMatch(list, /\/download"/);
});

test("cancel a queued export; a failed export says why and can be retried", async () => {
  const a = await t.createAccount();
  const { segmentId } = await seed(a);
  const created = (await (await t.api(a.apiKey, "/exports", { json: { segment_id: segmentId, fields: ["email"], format: "csv" } })).json()) as { id: number };
  const listed = await (await t.browser(a.adminCookie, "/exports")).text();
  assert.match(listed, new RegExp(`action="/exports/${created.id}/cancel"`));
  const cancelled = await t.browser(a.adminCookie, `/exports/${created.id}/cancel`, { form: {}, headers: { "HX-Request": "true" } });
  assert.equal(cancelled.status, 200);
  const fragment = await cancelled.text();
  assert.match(fragment, /badge cancelled/);
  assert.match(fragment, /The export was cancelled|Retry/);
  assert.equal(await t.runJobs(), 0, "a cancelled export does not run");

  // A custom field deleted between the request and the run: the job fails and says why.
  const failing = (await (await t.api(a.apiKey, "/exports", { json: { segment_id: segmentId, fields: ["email", "custom:tier"], format: "csv" } })).json()) as {
    id: number;
  };
  await t.db.delete(customFieldsTable).where(and(eq(customFieldsTable.accountId, a.accountId), eq(customFieldsTable.key, "tier")));
  await t.runJobs();
  const failed = (await (await t.api(a.apiKey, `/exports/${failing.id}`)).json()) as { status: string; error: string };
  assert.equal(failed.status, "failed");
  assert.match(failed.error, /no longer exist: custom:tier/);
  const page = await (await t.browser(a.adminCookie, "/exports")).text();
  assert.match(page, /no longer exist: custom:tier/);
  assert.match(page, new RegExp(`action="/exports/${failing.id}/retry"`));
  await t.db.insert(customFieldsTable).values({ accountId: a.accountId, key: "tier", label: "Loyalty tier", type: "text" });
  const retried = await t.browser(a.adminCookie, `/exports/${failing.id}/retry`, { form: {} });
  assert.equal(retried.status, 303);
  assert.equal(((await (await t.api(a.apiKey, `/exports/${failing.id}`)).json()) as { status: string }).status, "queued");
  await t.runJobs();
  const text = await (await download(a, failing.id)).text();
  assert.match(text, /^Email,Loyalty tier\r\nada@example\.com,gold\r\n/);

  // The retried-then-completed cancelled export too.
  assert.equal((await t.api(a.apiKey, `/exports/${created.id}/retry`, { method: "POST" })).status, 200);
  await t.runJobs();
  assert.equal(((await (await t.api(a.apiKey, `/exports/${created.id}`)).json()) as { status: string }).status, "completed");
});

test("snapshot: the file holds the members at the start, while the segment changes during the export", async () => {
  const a = await t.createAccount();
  const segmentId = await makeSegment(t.db, a.accountId, "Big");
  const n = 12_000;
  await t.db.execute(sql`insert into contacts (account_id, email, first_name)
    select ${a.accountId}, 'c' || g || '@example.com', 'C' || g from generate_series(1, ${n + 500}) g`);
  await addContactsToSegment(
    t.db,
    a.accountId,
    segmentId,
    sql`select id from contacts where account_id = ${a.accountId} and id <= (select min(id) + ${n - 1} from contacts where account_id = ${a.accountId})`,
    source,
  );
  const before = await queryRows<{ email: string }>(
    t.db,
    sql`select c.email from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id where m.account_id = ${a.accountId} and m.segment_id = ${segmentId} order by c.id`,
  );
  assert.equal(before.length, n);

  // Once the export has counted its snapshot (the first progress report), an import adds 500 members and a
  // workflow removes the first 100, all committed before the export reads a single row.
  let changed = false;
  jobHandlers.export = (ctx) =>
    runExportJob({
      ...ctx,
      async progress(done, total, partial) {
        await ctx.progress(done, total, partial);
        if (!changed && done === 0) {
          changed = true;
          const added = await addContactsToSegment(
            t.db,
            a.accountId,
            segmentId,
            sql`select id from contacts where account_id = ${a.accountId} and first_name::text like 'C%' and id > (select min(id) + ${n - 1} from contacts where account_id = ${a.accountId})`,
            { type: "import", id: 1, label: "import #1" },
          );
          assert.equal(added.added, 500);
          const first100 = await queryRows<{ id: number }>(
            t.db,
            sql`select contact_id as id from segment_members where account_id = ${a.accountId} and segment_id = ${segmentId} order by contact_id limit 100`,
          );
          await removeContactsFromSegment(
            t.db,
            a.accountId,
            segmentId,
            first100.map((r) => Number(r.id)),
            { type: "workflow", id: 1, label: "workflow" },
          );
        }
      },
    });
  try {
    const created = (await (await t.api(a.apiKey, "/exports", { json: { segment_id: segmentId, fields: ["email"], format: "csv" } })).json()) as { id: number };
    await t.runJobs();
    assert.ok(changed, "the membership changed during the export");
    const [{ count }] = await queryRows<{ count: number | string }>(
      t.db,
      sql`select count(*) as count from segment_members where account_id = ${a.accountId} and segment_id = ${segmentId}`,
    );
    assert.equal(Number(count), n + 400, "the segment did change");
    const text = await (await download(a, created.id)).text();
    const emails = text.trim().split("\r\n").slice(1);
    assert.deepEqual(
      emails,
      before.map((r) => r.email),
      "exactly the members at the moment the export started",
    );
    const body = (await (await t.api(a.apiKey, `/exports/${created.id}`)).json()) as { rows_total: number; rows_done: number };
    assert.equal(body.rows_total, n);
    assert.equal(body.rows_done, n);
  } finally {
    jobHandlers.export = runExportJob;
  }
});

test("a large XLSX export goes through the XLSX thread piece by piece: every row, in order, in a valid workbook", async () => {
  const a = await t.createAccount();
  const segmentId = await makeSegment(t.db, a.accountId, "Many");
  const n = 20_000; // about 1.4 MB of COPY text: several pieces, more than the thread takes at once
  await t.db.execute(sql`insert into contacts (account_id, email, first_name, last_name)
    select ${a.accountId}, 'x' || lpad(g::text, 6, '0') || '@example.com', 'Zoë ' || g, case when g % 1000 = 0 then '=cmd' else 'Müller' end
    from generate_series(1, ${n}) g`);
  await addContactsToSegment(t.db, a.accountId, segmentId, sql`select id from contacts where account_id = ${a.accountId}`, source);
  const { res } = await exportVia(a, { segment_id: segmentId, fields: ["email", "first_name", "last_name", "created_at"], format: "xlsx" });
  const dir = mkdtempSync(join(tmpdir(), "roster-xlsx-"));
  try {
    const path = join(dir, "export.xlsx");
    writeFileSync(path, Buffer.from(await res.arrayBuffer()));
    assert.match(execFileSync("unzip", ["-t", path], { encoding: "utf8" }), /No errors detected/);
    const sheet = execFileSync("unzip", ["-p", path, "xl/worksheets/sheet1.xml"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const emails = [...sheet.matchAll(/<c r="A\d+" t="inlineStr"><is><t>(x\d+@example\.com)<\/t>/g)].map((m) => m[1]);
    assert.equal(emails.length, n);
    assert.deepEqual([emails[0], emails[n - 1]], ["x000001@example.com", `x0${n}@example.com`]);
    assert.ok(
      emails.every((e, i) => i === 0 || e! > emails[i - 1]!),
      "in contact order",
    );
    assert.match(sheet, /<c r="B2" t="inlineStr"><is><t>Zoë 1<\/t>/);
    assert.match(sheet, /<c r="C1001" s="3" t="inlineStr"><is><t>=cmd<\/t>/, "formula-like text keeps its value with the quotePrefix style");
    assert.match(sheet, /<c r="D2" s="2"><v>\d+\.\d+<\/v><\/c>/, "date-times are serial numbers with the date-time style");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an XLSX export stopped midway (cancelled) stops its thread and leaves no file", async () => {
  const a = await t.createAccount();
  const segmentId = await makeSegment(t.db, a.accountId, "Stopped");
  await t.db.execute(sql`insert into contacts (account_id, email) select ${a.accountId}, 's' || g || '@example.com' from generate_series(1, 20000) g`);
  await addContactsToSegment(t.db, a.accountId, segmentId, sql`select id from contacts where account_id = ${a.accountId}`, source);
  const files = async () => Number((await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from files where account_id = ${a.accountId}`))[0]!.n);
  const stop = new AbortController();
  let stoppedAt = -1;
  jobHandlers.export = (ctx) =>
    runExportJob({
      ...ctx,
      signal: stop.signal,
      async progress(done, total, partial) {
        await ctx.progress(done, total, partial);
        if (done > 0 && stoppedAt < 0) {
          stoppedAt = done;
          stop.abort();
        }
      },
    });
  try {
    const created = (await (await t.api(a.apiKey, "/exports", { json: { segment_id: segmentId, fields: ["email"], format: "xlsx" } })).json()) as {
      id: number;
    };
    await t.runJobs();
    assert.ok(stoppedAt > 0 && stoppedAt < 20000, `stopped midway (at ${stoppedAt})`);
    const body = (await (await t.api(a.apiKey, `/exports/${created.id}`)).json()) as { status: string; download_url: string | null };
    assert.notEqual(body.status, "completed");
    assert.equal(body.download_url, null);
    assert.equal(await files(), 0, "the partial file was deleted");
  } finally {
    jobHandlers.export = runExportJob;
  }
});

test("two app instances sharing no disk: the export made and run on one downloads from the other", async () => {
  const a = await t.createAccount();
  const { segmentId } = await seed(a);
  // The second instance has its own connections.
  const second = await openDatabase({ databaseUrl: t.database.url, maxConnections: 3 });
  try {
    const other = createApp({ database: second, config: t.deps.config }).app;
    const created = (await (await t.api(a.apiKey, "/exports", { json: { segment_id: segmentId, fields: ["email", "first_name"], format: "csv" } })).json()) as {
      id: number;
    };
    assert.equal(await drainJobs(t.deps), 1);
    const body = (await (
      await other.request(`http://localhost/api/v1/exports/${created.id}`, { headers: { Authorization: `Bearer ${a.apiKey}` } })
    ).json()) as { download_url: string };
    const res = await other.request(`http://localhost${body.download_url}`, { headers: { Authorization: `Bearer ${a.apiKey}` } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Email,First Name\r\nada@example.com,Ada\r\nevil@example.com,"\'=HYPERLINK(""http://x"")"\r\nzoe@example.com,Zoë\r\n');
    const page = await (await other.request("http://localhost/exports", { headers: { Cookie: a.adminCookie } })).text();
    const url = /href="(\/exports\/[a-z0-9]{32}\/download)"/.exec(page)![1]!;
    assert.equal((await other.request(`http://localhost${url}`, { headers: { Cookie: a.adminCookie } })).status, 200);
  } finally {
    await second.close();
  }
});

test("COPY text lines: nulls, backslash escapes, tabs and newlines inside values", () => {
  const keys = ["a", "b", "c"];
  const text = (t: string) => t;
  const rows = parseCopyLines(["x\\ty\t\\N\tback\\\\slash", "line\\nbreak\\r\t\t\\\\N"], keys, [text, text, text]);
  assert.deepEqual(rows, [
    { a: "x\ty", b: null, c: "back\\slash" },
    { a: "line\nbreak\r", b: "", c: "\\N" },
  ]);
});

test("the export list pages by cursor and next_cursor, and still answers before and next_before", async () => {
  const a = await t.createAccount();
  await seed(a);
  const ids: number[] = [];
  for (let i = 0; i < EXPORTS_PAGE_SIZE + 2; i++) {
    const created = await t.api(a.apiKey, "/exports", { json: { segment_id: null, fields: ["email"], format: "csv" } });
    assert.equal(created.status, 202);
    ids.push(((await created.json()) as { id: number }).id);
  }
  type Page = { data: { id: number }[]; next_cursor: string | null; next_before: number | null };
  const first = (await (await t.api(a.apiKey, "/exports")).json()) as Page;
  const newestFirst = [...ids].reverse();
  assert.deepEqual(
    first.data.map((e) => e.id),
    newestFirst.slice(0, EXPORTS_PAGE_SIZE),
  );
  assert.equal(first.next_cursor, String(newestFirst[EXPORTS_PAGE_SIZE - 1]));
  assert.equal(first.next_before, newestFirst[EXPORTS_PAGE_SIZE - 1]);
  const second = (await (await t.api(a.apiKey, `/exports?cursor=${first.next_cursor}`)).json()) as Page;
  assert.deepEqual(
    second.data.map((e) => e.id),
    newestFirst.slice(EXPORTS_PAGE_SIZE),
  );
  assert.equal(second.next_cursor, null, "the last page says so");
  const former = (await (await t.api(a.apiKey, `/exports?before=${first.next_before}`)).json()) as Page;
  assert.deepEqual(
    former.data.map((e) => e.id),
    newestFirst.slice(EXPORTS_PAGE_SIZE),
  );
  const bad = await t.api(a.apiKey, "/exports?cursor=abc");
  assert.equal(bad.status, 400);
  assert.deepEqual(((await bad.json()) as { error: { code: string; field: string } }).error, {
    code: "invalid_parameter",
    message: "cursor must be a next_cursor value from a previous page.",
    field: "cursor",
  });
});
