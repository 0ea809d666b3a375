// Imports end to end through the app: every file shape, overwrite rules, bad rows and the error report, duplicates,
// segments, the HTML flow with its dry run, a worker that loses the job mid-import, and roles.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { contactsTable, customFieldsTable, segmentsTable } from "../../src/db/schema";
import type { ImportCounts } from "../../src/imports/queries";
import { claimNextJob, getJob } from "../../src/jobs/queue";
import { newWorkerId, runJob } from "../../src/jobs/worker";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/imports/${name}`, import.meta.url));

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

/** GET /api/v1/imports/:id as the tests read it: the job's counts beside the import's id, status and error. */
type ImportJson = ImportCounts & { id: number; status: string; error: string | null };

/** POSTs a CSV to the API, runs the jobs, and returns the finished import. */
async function importCsv(account: TestAccount, body: string | Buffer, query: Record<string, string> = {}): Promise<ImportJson> {
  const qs = new URLSearchParams(query).toString();
  const res = await t.api(account.apiKey, `/imports${qs ? `?${qs}` : ""}`, {
    method: "POST",
    body: new Uint8Array(body instanceof Buffer ? body : Buffer.from(body)),
    headers: { "Content-Type": "text/csv" },
  });
  const created = (await res.json()) as { id: number; status: string; error?: unknown };
  assert.equal(res.status, 202, JSON.stringify(created));
  assert.equal(created.status, "queued");
  await t.runJobs();
  const got = await t.api(account.apiKey, `/imports/${created.id}`);
  assert.equal(got.status, 200);
  return (await got.json()) as ImportJson;
}

async function contacts(accountId: number) {
  return queryRows<{ email: string; first_name: string | null; last_name: string | null; phone: string | null; custom: Record<string, unknown> }>(
    t.db,
    sql`select email, first_name, last_name, phone, custom from contacts where account_id = ${accountId} order by lower(email)`,
  );
}

function assertAddsUp(result: ImportJson) {
  assert.equal(
    result.created + result.updated + result.unchanged + result.invalid + result.duplicates,
    result.rows,
    `outcomes add up: ${JSON.stringify(result)}`,
  );
}

describe("every file shape imports correctly", () => {
  const cases: {
    file: string;
    mapping?: Record<string, string>;
    rows: number;
    invalid?: number;
    expected: [string, string | null, string | null, string | null][];
  }[] = [
    {
      file: "utf8-bom.csv",
      rows: 2,
      expected: [
        ["soren@example.dk", "Søren", "Åberg", null],
        ["zoe@example.com", "Zoé", "Müller", null],
      ],
    },
    {
      file: "utf8-no-bom.csv",
      rows: 2,
      expected: [
        ["ana@example.es", "María José", null, null],
        ["li@example.cn", "李", null, null],
      ],
    },
    {
      file: "utf16le-bom.csv",
      mapping: { Prénom: "first_name" },
      rows: 2,
      expected: [
        ["anais@example.fr", "Anaïs", null, null],
        ["chloe@example.fr", 'Chloé; la "grande"', null, null],
      ],
    },
    { file: "utf16be-bom.csv", rows: 1, expected: [["jurgen@example.de", "Jürgen", null, null]] },
    {
      file: "windows-1252.csv",
      rows: 2,
      expected: [
        ["obrien@example.ie", "Seán", "O\u2019Brien", null],
        ["rene@example.fr", "René", "Müller", null],
      ],
    },
    {
      file: "semicolon.csv",
      rows: 2,
      expected: [
        ["ann@example.com", "Ann", null, null],
        ["bob@example.com", "Bob", null, null],
      ],
    },
    {
      file: "tab.csv",
      rows: 2,
      expected: [
        ["carl@example.com", "Carl", "van Dyke", null],
        ["dora@example.com", "Dora", null, null],
      ],
    },
    {
      file: "pipe.csv",
      rows: 2,
      expected: [
        ["eve@example.com", "Eve", null, "+12125550100"],
        ["fay|x@example.com", "Fay", null, null],
      ],
    },
    {
      file: "crlf.csv",
      rows: 2,
      expected: [
        ["jay@example.com", "Jay", null, null],
        ["kim@example.com", "Kim", null, null],
      ],
    },
    {
      file: "cr-only.csv",
      rows: 3,
      expected: [
        ["gus@example.com", "Gus", null, null],
        ["hal@example.com", "Hal\rHalloran", null, null],
        ["ivy@example.com", "Ivy", null, null],
      ],
    },
    {
      file: "blank-lines.csv",
      rows: 2,
      expected: [
        ["oli@example.com", "Oli", null, null],
        ["pia@example.com", "Pia", null, null],
      ],
    },
    {
      file: "quoted-newlines.csv",
      rows: 3,
      expected: [
        ["lea@example.com", "Lea", null, null],
        ["max@example.com", "Max", null, null],
        ["ned@example.com", "Ned", null, null],
      ],
    },
    {
      file: "spaces-emails.csv",
      rows: 2,
      expected: [
        ["quinn@Example.com", "Quinn", null, null],
        ["ray@example.com", "Ray", null, null],
      ],
    },
    { file: "invalid-emails.csv", rows: 4, invalid: 3, expected: [["wes@example.com", "Wes", null, null]] },
    { file: "wrong-columns.csv", rows: 3, invalid: 2, expected: [["uma@example.com", "Uma", "Ul", null]] },
  ];
  for (const c of cases) {
    test(c.file, async () => {
      const account = await t.createAccount();
      const result = await importCsv(account, fixture(c.file), c.mapping ? { mapping: JSON.stringify(c.mapping) } : {});
      assert.equal(result.status, "completed", result.error ?? "");
      assert.equal(result.rows, c.rows);
      assert.equal(result.invalid, c.invalid ?? 0);
      assert.equal(result.created, c.expected.length);
      assertAddsUp(result);
      const rows = await contacts(account.accountId);
      assert.deepEqual(
        rows.map((r) => [r.email, r.first_name, r.last_name, r.phone]),
        c.expected,
      );
    });
  }
});

describe("overwrite existing", () => {
  // Existing: first "Old", last "Keep", phone "111", custom tier "gold". The file maps email, first_name,
  // last_name and tier; phone is not in it.
  const file = "email,first_name,last_name,tier\nA@Example.com,New,,\nnew@example.com,Nina,,silver\n";

  async function setUp() {
    const account = await t.createAccount();
    await t.db.insert(customFieldsTable).values({ accountId: account.accountId, key: "tier", label: "Tier", type: "text" });
    await t.db.insert(contactsTable).values({
      accountId: account.accountId,
      email: "a@example.com",
      firstName: "Old",
      lastName: "Keep",
      phone: "111",
      custom: { tier: "gold", since: "2020" },
    });
    return account;
  }

  test("off: existing contacts keep every field, new ones are created", async () => {
    const account = await setUp();
    const result = await importCsv(account, file, { overwrite: "false" });
    assert.deepEqual([result.created, result.updated, result.unchanged], [1, 0, 1]);
    const [a, n] = await contacts(account.accountId);
    assert.deepEqual([a!.email, a!.first_name, a!.last_name, a!.phone, a!.custom], ["a@example.com", "Old", "Keep", "111", { tier: "gold", since: "2020" }]);
    assert.deepEqual([n!.first_name, n!.last_name, n!.phone, n!.custom], ["Nina", null, null, { tier: "silver" }]);
  });

  test("on: non-empty cells overwrite, empty cells and unmapped fields are kept; a re-import changes nothing", async () => {
    const account = await setUp();
    const result = await importCsv(account, file, { overwrite: "true" });
    assert.deepEqual([result.created, result.updated, result.unchanged], [1, 1, 0]);
    const [a, n] = await contacts(account.accountId);
    assert.deepEqual([a!.first_name, a!.last_name, a!.phone, a!.custom], ["New", "Keep", "111", { tier: "gold", since: "2020" }]);
    assert.deepEqual([n!.first_name, n!.last_name, n!.custom], ["Nina", null, { tier: "silver" }]);
    const again = await importCsv(account, file, { overwrite: "true" });
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 2]);
  });

  test("on: a custom field cell overwrites its key only", async () => {
    const account = await setUp();
    await importCsv(account, "email,tier\na@example.com,platinum\n", { overwrite: "true" });
    const [a] = await contacts(account.accountId);
    assert.deepEqual(a!.custom, { tier: "platinum", since: "2020" });
    assert.equal(a!.first_name, "Old");
  });
});

describe("bad rows, duplicates and the error report", () => {
  test("line numbers count the header, blank lines and line breaks inside quotes; duplicates keep the last", async () => {
    const account = await t.createAccount();
    const csv = [
      "email,first_name,note", // 1
      'one@example.com,One,"two', // 2
      'lines"', // 3
      "", // 4
      "not-an-email,Bad,x", // 5
      "DUP@example.com,First,x", // 6
      "short@example.com", // 7
      "dup@example.com,Second,x", // 8
      ",NoEmail,x", // 9
      "Dup@Example.com,Third,x", // 10
    ].join("\n");
    const result = await importCsv(account, csv);
    assert.deepEqual(
      { rows: result.rows, created: result.created, invalid: result.invalid, duplicates: result.duplicates },
      { rows: 7, created: 2, invalid: 3, duplicates: 2 },
    );
    assertAddsUp(result);
    const rows = await contacts(account.accountId);
    assert.deepEqual(
      rows.map((r) => [r.email, r.first_name]),
      [
        ["Dup@Example.com", "Third"],
        ["one@example.com", "One"],
      ],
    );

    const report = await t.api(account.apiKey, `/imports/${result.id}/errors`);
    assert.equal(report.status, 200);
    assert.match(report.headers.get("content-type") ?? "", /text\/csv/);
    const lines = (await report.text()).trim().split("\r\n");
    assert.equal(lines[0], "line,reason,email,first_name,note");
    assert.deepEqual(lines.slice(1).sort(), [
      "5,invalid email: not-an-email,not-an-email,Bad,x",
      "6,duplicate email: line 10 has the same email and is the one imported,DUP@example.com,First,x",
      '7,"expected 3 columns, found 1",short@example.com',
      "8,duplicate email: line 10 has the same email and is the one imported,dup@example.com,Second,x",
      "9,missing email,,NoEmail,x",
    ]);
  });

  test("a file without an email column is refused with a reason", async () => {
    const account = await t.createAccount();
    const res = await t.api(account.apiKey, "/imports", { method: "POST", body: "name,city\nAda,Paris\n", headers: { "Content-Type": "text/csv" } });
    assert.equal(res.status, 422);
    const body = (await res.json()) as { error: { code: string; former_code: string; message: string; details: { path: string }[] } };
    assert.deepEqual([body.error.code, body.error.former_code, body.error.details[0]!.path], ["validation_failed", "invalid_mapping", "mapping"]);
    assert.match(body.error.message, /email column is required/);
  });
});

describe("segments and the API", () => {
  test("adds to an existing segment, counting members already there, with history by import", async () => {
    const account = await t.createAccount();
    const [segment] = await t.db.insert(segmentsTable).values({ accountId: account.accountId, name: "Fair" }).returning();
    const first = await importCsv(account, "email\na@example.com\nb@example.com\n", { segment_id: String(segment!.id) });
    assert.deepEqual([first.added_to_segment, first.already_in_segment], [2, 0]);
    const second = await importCsv(account, "email\nb@example.com\nc@example.com\n", { segment_id: String(segment!.id), overwrite: "true" });
    assert.deepEqual([second.created, second.unchanged, second.added_to_segment, second.already_in_segment], [1, 1, 1, 1]);
    const [row] = await queryRows<{ members: number; count: number; events: number }>(
      t.db,
      sql`select (select count(*)::int from segment_members where account_id = ${account.accountId}) as members,
        (select member_count::int from segments where account_id = ${account.accountId} and id = ${segment!.id}) as count,
        (select count(*)::int from membership_events where account_id = ${account.accountId} and source_type = 'import' and source_label = ${`import #${second.id}`}) as events`,
    );
    assert.deepEqual(row, { members: 3, count: 3, events: 1 });
  });

  test("multipart upload with a mapping field, unknown segment, and oversize refusal", async () => {
    const account = await t.createAccount();
    const form = new FormData();
    form.append("mapping", JSON.stringify({ Courriel: "email", Nom: "last_name" }));
    form.append("file", new Blob(["Courriel,Nom\nzed@example.com,Zedd\n"], { type: "text/csv" }), "liste.csv");
    const res = await t.api(account.apiKey, "/imports", { method: "POST", body: form });
    assert.equal(res.status, 202);
    await t.runJobs();
    const { id } = (await res.json()) as { id: number };
    const got = (await (await t.api(account.apiKey, `/imports/${id}`)).json()) as ImportJson & { file_name: string };
    assert.equal(got.file_name, "liste.csv");
    assert.equal(got.created, 1);
    assert.deepEqual(
      (await contacts(account.accountId)).map((c) => [c.email, c.last_name]),
      [["zed@example.com", "Zedd"]],
    );

    const unknown = await t.api(account.apiKey, "/imports?segment_id=999999", {
      method: "POST",
      body: "email\nx@example.com\n",
      headers: { "Content-Type": "text/csv" },
    });
    assert.equal(unknown.status, 404);
    const unknownError = ((await unknown.json()) as { error: { code: string; field: string; former_code: string } }).error;
    assert.deepEqual([unknownError.code, unknownError.field, unknownError.former_code], ["not_found", "segment_id", "unknown_segment"]);
    const big = await t.api(account.apiKey, "/imports", {
      method: "POST",
      body: "email\n",
      headers: { "Content-Type": "text/csv", "Content-Length": String(2 * 1024 ** 3) },
    });
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { error: { message: string } }).error.message, /1 GB/);
    assert.equal((await t.api(null, `/imports/${id}`)).status, 401);
    const other = await t.createAccount();
    assert.equal((await t.api(other.apiKey, `/imports/${id}`)).status, 404);
  });
});

describe("a worker that loses the job mid-import", () => {
  test("applies nothing; the retry applies once, and a late finish does not apply twice", async () => {
    const account = await t.createAccount();
    const [segment] = await t.db.insert(segmentsTable).values({ accountId: account.accountId, name: "Retry" }).returning();
    const res = await t.api(account.apiKey, `/imports?segment_id=${segment!.id}`, {
      method: "POST",
      body: "email\na@example.com\nb@example.com\n",
      headers: { "Content-Type": "text/csv" },
    });
    const { id } = (await res.json()) as { id: number };
    // Worker A claims the job with a tiny lease and stalls; its lease lapses and worker B takes the job over.
    const a = newWorkerId();
    const claimedByA = await claimNextJob(t.db, a, ["import"], 1);
    assert.ok(claimedByA);
    await new Promise((r) => setTimeout(r, 20));
    const b = newWorkerId();
    const claimedByB = await claimNextJob(t.db, b, ["import"]);
    assert.equal(claimedByB?.id, claimedByA.id);
    // A wakes up and runs the whole import: its completion is refused, so everything it wrote is rolled back.
    await runJob(t.deps, claimedByA, a);
    assert.equal((await contacts(account.accountId)).length, 0);
    // B runs it to the end.
    await runJob(t.deps, claimedByB!, b);
    const job = await getJob(t.db, account.accountId, claimedByB!.id);
    assert.equal(job?.status, "completed");
    // A runs again late (say its process was only paused): still nothing applies twice.
    await runJob(t.deps, claimedByA, a);
    const [row] = await queryRows<{ contacts: number; members: number; events: number }>(
      t.db,
      sql`select (select count(*)::int from contacts where account_id = ${account.accountId}) as contacts,
        (select count(*)::int from segment_members where account_id = ${account.accountId}) as members,
        (select count(*)::int from membership_events where account_id = ${account.accountId}) as events`,
    );
    assert.deepEqual(row, { contacts: 2, members: 2, events: 2 });
    const got = (await (await t.api(account.apiKey, `/imports/${id}`)).json()) as ImportJson;
    assert.deepEqual([got.status, got.created, got.added_to_segment], ["completed", 2, 2]);
  });
});

describe("HTML flow", () => {
  test("paste, preview without writing, start, complete; the list shows it", async () => {
    const account = await t.createAccount();
    await t.db.insert(contactsTable).values({ accountId: account.accountId, email: "old@example.com", firstName: "Old" });
    const cookie = account.adminCookie;
    const preview = await t.browser(cookie, "/imports/paste-preview", {
      form: { csv: "Email;Prénom\nold@example.com;Olga\nnew@example.com;Nia\nbad;x" },
      headers: { "HX-Request": "true" },
    });
    const fragment = await preview.text();
    assert.match(fragment, /2 columns, separated by semicolon/);
    assert.match(fragment, /new@example.com/);

    const created = await t.browser(cookie, "/imports", { form: { csv: "Email;Prénom\nold@example.com;Olga\nnew@example.com;Nia\nbad;x\n" } });
    assert.equal(created.status, 303);
    const location = created.headers.get("location")!;
    const id = Number(location.split("/").pop());
    const page = await (await t.browser(cookie, location)).text();
    assert.match(page, /Map columns/);
    assert.match(page, /aria-label="Import column &quot;Prénom&quot; as"|aria-label="Import column "Prénom" as"/);

    const noEmail = await t.browser(cookie, `${location}/preview`, { form: { map_0: "skip", map_1: "first_name", segment_mode: "none" } });
    assert.equal(noEmail.status, 422);
    assert.match(await noEmail.text(), /email column is required/);

    const previewed = await t.browser(cookie, `${location}/preview`, {
      form: { map_0: "email", map_1: "first_name", overwrite: "on", segment_mode: "new", new_segment_name: "Pasted" },
    });
    assert.equal(previewed.status, 303);
    const waiting = await (await t.browser(cookie, location, { headers: { "HX-Request": "true" } })).text();
    assert.match(waiting, /hx-trigger="load delay:1s"/);
    await t.runJobs();
    const counted = await (await t.browser(cookie, location)).text();
    assert.match(counted, /data-outcome="created">\s*<th scope="row">New contacts to create<\/th>\s*<td class="num">1</);
    assert.match(counted, /data-outcome="updated">\s*<th scope="row">Existing contacts that would change<\/th>\s*<td class="num">1</);
    assert.match(counted, /Every row is accounted for: 1 \+ 1 \+ 0 \+ 1 \+ 0 = 3 rows/);
    assert.doesNotMatch(counted, /id="import-panel"[^>]*hx-trigger/, "the panel stops polling (the layout's job notice poll is apart)");
    // The dry run wrote nothing.
    assert.deepEqual(
      (await contacts(account.accountId)).map((c) => [c.email, c.first_name]),
      [["old@example.com", "Old"]],
    );

    const started = await t.browser(cookie, `${location}/start`, { form: {} });
    assert.equal(started.status, 303);
    await t.runJobs();
    const done = await (await t.browser(cookie, location, { headers: { "HX-Request": "true" } })).text();
    assert.match(done, /completed/);
    assert.match(done, /Download error report/);
    assert.doesNotMatch(done, /hx-trigger/);
    assert.deepEqual(
      (await contacts(account.accountId)).map((c) => [c.email, c.first_name]),
      [
        ["new@example.com", "Nia"],
        ["old@example.com", "Olga"],
      ],
    );
    const [segment] = await queryRows<{ name: string; member_count: number }>(
      t.db,
      sql`select name, member_count::int from segments where account_id = ${account.accountId}`,
    );
    assert.deepEqual(segment, { name: "Pasted", member_count: 2 });
    const report = await t.browser(cookie, `${location}/errors`);
    assert.equal(report.status, 200);
    assert.match(await report.text(), /^line,reason,Email,Prénom\r\n4,invalid email: bad,bad,x\r\n$/);

    const list = await (await t.browser(cookie, "/imports")).text();
    assert.match(list, new RegExp(`href="/imports/${id}"`));
    assert.match(list, /pasted\.csv/);
  });

  test("a started import can be cancelled: nothing is imported, it says so, and it can be tried again", async () => {
    const account = await t.createAccount();
    const cookie = account.adminCookie;
    const created = await t.browser(cookie, "/imports", { form: { csv: "email\ncancel-me@example.com\n" } });
    const location = created.headers.get("location")!;
    assert.equal((await t.browser(cookie, `${location}/preview`, { form: { map_0: "email", segment_mode: "none" } })).status, 303);
    await t.runJobs();
    assert.equal((await t.browser(cookie, `${location}/start`, { form: {} })).status, 303);
    const waiting = await (await t.browser(cookie, location)).text();
    assert.match(waiting, /Cancel import/);

    assert.equal((await t.browser(cookie, `${location}/cancel`, { form: {} })).status, 303);
    await t.runJobs();
    const page = await (await t.browser(cookie, location)).text();
    assert.match(page, /Import cancelled/);
    assert.match(page, /Nothing was imported/);
    assert.doesNotMatch(page, /id="import-panel"[^>]*hx-trigger/, "a cancelled import stops polling");
    assert.equal((await contacts(account.accountId)).length, 0);
    assert.match(await (await t.browser(cookie, "/imports")).text(), /badge cancelled/);
    const viewer = await account.userCookie("viewer");
    assert.equal((await t.browser(viewer, `${location}/cancel`, { form: {} })).status, 403);

    assert.equal((await t.browser(cookie, `${location}/retry`, { form: {} })).status, 303);
    await t.runJobs();
    assert.deepEqual(
      (await contacts(account.accountId)).map((c) => c.email),
      ["cancel-me@example.com"],
    );
  });

  test("a new segment whose name was taken after the preview stops the start with a reason, and nothing is imported", async () => {
    const account = await t.createAccount();
    const cookie = account.adminCookie;
    const created = await t.browser(cookie, "/imports", { form: { csv: "email\nlate@example.com\n" } });
    const location = created.headers.get("location")!;
    const form = { map_0: "email", segment_mode: "new", new_segment_name: "Spring list" };
    assert.equal((await t.browser(cookie, `${location}/preview`, { form })).status, 303);
    await t.runJobs();
    assert.equal((await t.api(account.apiKey, "/segments", { method: "POST", json: { name: "spring LIST" } })).status, 201);

    const refused = await t.browser(cookie, `${location}/start`, { form: {} });
    assert.equal(refused.status, 422);
    assert.match(
      await refused.text(),
      /A segment named &quot;Spring list&quot; already exists: choose it in the list of existing segments, or pick another name\.|A segment named "Spring list" already exists: choose it in the list of existing segments, or pick another name\./,
    );
    await t.runJobs();
    assert.equal((await contacts(account.accountId)).length, 0);
    const names = await queryRows<{ name: string }>(t.db, sql`select name from segments where account_id = ${account.accountId}`);
    assert.deepEqual(
      names.map((r) => r.name),
      ["spring LIST"],
    );
  });

  test("a multipart upload becomes a draft with its columns mapped", async () => {
    const account = await t.createAccount();
    const form = new FormData();
    form.append("file", new Blob([fixture("windows-1252.csv")], { type: "text/csv" }), "clients.csv");
    const res = await t.app.request("http://localhost/imports", {
      method: "POST",
      body: form,
      headers: { Cookie: account.adminCookie, Origin: "http://localhost" },
    });
    assert.equal(res.status, 303);
    const page = await (await t.browser(account.adminCookie, res.headers.get("location")!)).text();
    assert.match(page, /clients\.csv/);
    assert.match(page, /data-testid="encoding-used">Windows-1252</);
    assert.match(page, /René/);
  });

  test("a viewer is refused, on pages and posts", async () => {
    const account = await t.createAccount();
    const viewer = await account.userCookie("viewer");
    assert.equal((await t.browser(viewer, "/imports")).status, 403);
    assert.equal((await t.browser(viewer, "/imports/new")).status, 403);
    assert.equal((await t.browser(viewer, "/imports", { form: { csv: "email\na@example.com\n" } })).status, 403);
    assert.equal((await contacts(account.accountId)).length, 0);
  });
});
