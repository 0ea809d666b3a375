// Typed custom fields through imports and exports: decimal marks, date forms (detected per file, ambiguous ones by
// the account's region, or chosen), yes/no words, a value that does not read reported on its line and not stored,
// "Create field…" on the mapping step (admins only), and exports writing values back in the chosen forms.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { customFieldsTable } from "../../src/db/schema";
import { setDefaultCountry } from "../../src/auth/accounts";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

type ImportJson = { id: number; status: string; error: string | null; rows: number; created: number; invalid: number };

async function importCsv(account: TestAccount, body: string, query: Record<string, string> = {}): Promise<ImportJson> {
  const qs = new URLSearchParams(query).toString();
  const res = await t.api(account.apiKey, `/imports${qs ? `?${qs}` : ""}`, {
    method: "POST",
    body: new Uint8Array(Buffer.from(body)),
    headers: { "Content-Type": "text/csv" },
  });
  const created = (await res.json()) as { id: number };
  assert.equal(res.status, 202, JSON.stringify(created));
  await t.runJobs();
  return (await (await t.api(account.apiKey, `/imports/${created.id}`)).json()) as ImportJson;
}

async function customOf(accountId: number): Promise<Record<string, Record<string, unknown>>> {
  const rows = await queryRows<{ email: string; custom: Record<string, unknown> }>(
    t.db,
    sql`select email, custom from contacts where account_id = ${accountId} order by email`,
  );
  return Object.fromEntries(rows.map((r) => [r.email, r.custom]));
}

async function addFields(account: TestAccount) {
  await t.db.insert(customFieldsTable).values([
    { accountId: account.accountId, key: "amount", label: "Amount", type: "number" },
    { accountId: account.accountId, key: "birthday", label: "Birthday", type: "date" },
    { accountId: account.accountId, key: "newsletter", label: "Newsletter", type: "boolean" },
    { accountId: account.accountId, key: "note", label: "Note", type: "text" },
  ]);
}

/** The import's error report: its lines and reasons as the person downloads them. */
async function errorReport(account: TestAccount, id: number): Promise<string> {
  const res = await t.api(account.apiKey, `/imports/${id}/errors`);
  assert.equal(res.status, 200);
  return res.text();
}

describe("imports read typed custom fields", () => {
  test("decimal comma, dd/mm/yyyy dates and yes/no words; a date that does not exist is a problem on its line, not stored", async () => {
    const account = await t.createAccount();
    await addFields(account);
    const csv = [
      "Email;Amount;Birthday;Newsletter;Note",
      "a@example.com;1991,51;31/12/1990;sí;1,5",
      "b@example.com;1.991,51;01.02.2000 10:30;No;x",
      "c@example.com;-0,5;2001-07-04;TRUE;",
      "d@example.com;7;31/02/2024;y;keep",
      "e@example.com;12 kg;15/06/1985;n;",
      "f@example.com;3;16/06/1985;maybe;",
    ].join("\n");
    const result = await importCsv(account, csv);
    assert.equal(result.status, "completed", result.error ?? "");
    assert.equal(result.rows, 6);
    assert.equal(result.created, 3);
    assert.equal(result.invalid, 3);
    const custom = await customOf(account.accountId);
    assert.deepEqual(custom["a@example.com"], { amount: 1991.51, birthday: "1990-12-31", newsletter: true, note: "1,5" });
    assert.deepEqual(custom["b@example.com"], { amount: 1991.51, birthday: "2000-02-01", newsletter: false, note: "x" });
    assert.deepEqual(custom["c@example.com"], { amount: -0.5, birthday: "2001-07-04", newsletter: true });
    assert.equal(custom["d@example.com"], undefined, "a row with an impossible date is not imported");
    const report = await errorReport(account, result.id);
    // The report is CSV: the reason's quotes are doubled.
    assert.match(report, /Birthday ""31\/02\/2024"" is not a date \(dd\/mm\/yyyy\)/);
    assert.match(report, /Amount ""12 kg"" is not a number \(decimal mark "",""\)/);
    assert.match(report, /Newsletter ""maybe"" is not yes or no/);
    // Each problem is on its own line of the file.
    const lines = report.split(/\r?\n/);
    assert.ok(
      lines.some((l) => l.startsWith("5,") && l.includes("31/02/2024")),
      report,
    );
  });

  test("decimal point with grouping, mm/dd/yyyy detected from a day above 12, and x marks where empty means no", async () => {
    const account = await t.createAccount();
    await addFields(account);
    const csv = [
      "email,amount,birthday,newsletter",
      'a@example.com,"1,991.51",12/31/1990,x',
      "b@example.com,1991.51,02/01/2000,",
      "c@example.com,0.25,7/4/2001,X",
    ].join("\n");
    const result = await importCsv(account, csv);
    assert.equal(result.invalid, 0, result.error ?? "");
    const custom = await customOf(account.accountId);
    assert.deepEqual(custom["a@example.com"], { amount: 1991.51, birthday: "1990-12-31", newsletter: true });
    assert.deepEqual(custom["b@example.com"], { amount: 1991.51, birthday: "2000-02-01", newsletter: false });
    assert.deepEqual(custom["c@example.com"], { amount: 0.25, birthday: "2001-07-04", newsletter: true });
  });

  test("ambiguous dates follow the account's region, unless the import says otherwise", async () => {
    const csv = ["email,birthday", "a@example.com,01/02/2000", "b@example.com,03/04/2001"].join("\n");
    const us = await t.createAccount();
    await addFields(us);
    await setDefaultCountry(t.db, us.accountId, "US");
    await importCsv(us, csv);
    assert.equal((await customOf(us.accountId))["a@example.com"]!.birthday, "2000-01-02");
    const es = await t.createAccount();
    await addFields(es);
    await setDefaultCountry(t.db, es.accountId, "ES");
    await importCsv(es, csv);
    assert.equal((await customOf(es.accountId))["a@example.com"]!.birthday, "2000-02-01");
    const chosen = await t.createAccount();
    await addFields(chosen);
    await setDefaultCountry(t.db, chosen.accountId, "ES");
    await importCsv(chosen, csv, { date_form: "mdy", decimal_mark: "," });
    assert.equal((await customOf(chosen.accountId))["b@example.com"]!.birthday, "2001-03-04");
    const bad = await t.api(chosen.apiKey, "/imports?date_form=yyyy", {
      method: "POST",
      body: new Uint8Array(Buffer.from(csv)),
      headers: { "Content-Type": "text/csv" },
    });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { code: string; field: string } };
    assert.deepEqual([body.error.code, body.error.field], ["invalid_parameter", "date_form"]);
  });

  test("the mapping step shows samples with what they become and the detected date form; the preview can change it", async () => {
    const account = await t.createAccount();
    await addFields(account);
    const cookie = account.adminCookie;
    const created = await t.browser(cookie, "/imports", {
      form: { csv: "Email;Birthday;Amount\na@example.com;31/12/1990;1.234,5\nb@example.com;01/02/2000;7\nc@example.com;31/02/2024;x1\n" },
    });
    assert.equal(created.status, 303);
    const location = created.headers.get("location")!;
    const page = await (await t.browser(cookie, location)).text();
    assert.match(page, /31\/12\/1990<\/span> → <span class="becomes">1990-12-31/);
    assert.match(page, /1\.234,5<\/span> → <span class="becomes">1234\.5/);
    assert.match(page, /Birthday &quot;31\/02\/2024&quot; is not a date \(dd\/mm\/yyyy\)|Birthday "31\/02\/2024" is not a date \(dd\/mm\/yyyy\)/);
    assert.match(page, /data-testid="date-form">dd\/mm\/yyyy</);
    // A changed choice redraws the samples in place (htmx partials), reading them the new way; nothing is saved.
    const redrawn = await (
      await t.browser(cookie, `${location}/samples`, {
        form: { map_0: "email", map_1: "custom:birthday", map_2: "custom:amount", date_form: "mdy", decimal_mark: "." },
        headers: { "HX-Request": "true" },
      })
    ).text();
    assert.match(redrawn, /<hx-partial hx-target="#samples-1" hx-swap="innerHTML">/);
    assert.match(redrawn, /is not a date \(mm\/dd\/yyyy\)/);
    assert.match(redrawn, /1\.234,5<\/span> <span class="badge failed">not read/);
    const asText = await (
      await t.browser(cookie, `${location}/samples`, { form: { map_0: "email", map_1: "skip", map_2: "skip" }, headers: { "HX-Request": "true" } })
    ).text();
    assert.doesNotMatch(asText, /→|not read/);
    const previewed = await t.browser(cookie, `${location}/preview`, {
      form: { map_0: "email", map_1: "custom:birthday", map_2: "custom:amount", segment_mode: "none", date_form: "auto", decimal_mark: "auto" },
    });
    assert.equal(previewed.status, 303);
    await t.runJobs();
    const preview = await (await t.browser(cookie, location)).text();
    assert.match(preview, /Read dates and numbers again/);
    assert.match(preview, /<dt>Dates and numbers<\/dt>\s*<dd>Dates as dd\/mm\/yyyy \(detected\); decimal mark &quot;,&quot; \(detected per column\)/);
    assert.match(preview, /1\.234,5<\/span> → <span class="becomes">1234\.5/);
    // Chosen on the preview: the dates are now read month first, so 31/12/1990 no longer reads.
    const changed = await t.browser(cookie, `${location}/value-forms`, { form: { date_form: "mdy", decimal_mark: "auto" } });
    assert.equal(changed.status, 303);
    await t.runJobs();
    const again = await (await t.browser(cookie, location)).text();
    assert.match(again, /data-testid="date-form">mm\/dd\/yyyy</);
    assert.match(again, /is not a date \(mm\/dd\/yyyy\)/);
    const refused = await t.browser(cookie, `${location}/value-forms`, { form: { date_form: "someday" } });
    assert.equal(refused.status, 422);
  });
});

describe("Create field… on the mapping step", () => {
  test("an admin creates a date field for an unmapped column, which is then chosen for it with the other choices kept", async () => {
    const account = await t.createAccount();
    const cookie = account.adminCookie;
    const created = await t.browser(cookie, "/imports", { form: { csv: "Email,Name,Birthday\na@example.com,Ana,31/12/1990\n" } });
    const location = created.headers.get("location")!;
    const page = await (await t.browser(cookie, location)).text();
    assert.match(page, /Create field…/);
    // The type is suggested from the column's values.
    assert.match(page, /name="new_field_type_2"[^>]*>(?:(?!<\/select>).)*<option value="date" selected/s);
    const form = {
      map_0: "email",
      map_1: "first_name",
      map_2: "skip",
      segment_mode: "none",
      date_form: "auto",
      decimal_mark: "auto",
      new_field_column: "2",
      new_field_label_2: "Birthday",
      new_field_type_2: "date",
    };
    const res = await t.browser(cookie, `${location}/fields`, { form, headers: { "HX-Request": "true" } });
    assert.equal(res.status, 200);
    const fragment = await res.text();
    assert.match(fragment, /id="mapping-form"/);
    assert.doesNotMatch(fragment, /<html/);
    assert.match(fragment, /<select name="map_2"[^>]*>(?:(?!<\/select>).)*<option value="custom:birthday" selected/s);
    assert.match(fragment, /<select name="map_1"[^>]*>(?:(?!<\/select>).)*<option value="first_name" selected/s);
    assert.match(fragment, /31\/12\/1990<\/span> → <span class="becomes">1990-12-31/);
    assert.match(fragment, /<hx-partial hx-target="#toasts" hx-swap="beforeend">.*The field Birthday was added \(key birthday\)/s);
    const [field] = await queryRows<{ key: string; type: string; label: string }>(
      t.db,
      sql`select key, type, label from custom_fields where account_id = ${account.accountId}`,
    );
    assert.deepEqual(field, { key: "birthday", type: "date", label: "Birthday" });
    // The same label again is refused on that column, naming the clash.
    const again = await t.browser(cookie, `${location}/fields`, { form, headers: { "HX-Request": "true" } });
    assert.equal(again.status, 422);
    assert.match(await again.text(), /A custom field with the key &quot;birthday&quot; already exists|A custom field with the key "birthday" already exists/);
    const empty = await t.browser(cookie, `${location}/fields`, { form: { ...form, new_field_label_2: " " } });
    assert.equal(empty.status, 422);
    assert.match(await empty.text(), /Enter a label\./);
    // Then the import stores the typed value.
    assert.equal((await t.browser(cookie, `${location}/preview`, { form: { ...form, map_2: "custom:birthday" } })).status, 303);
    await t.runJobs();
    assert.equal((await t.browser(cookie, `${location}/start`, { form: {} })).status, 303);
    await t.runJobs();
    assert.deepEqual((await customOf(account.accountId))["a@example.com"], { birthday: "1990-12-31" });
  });

  test("an editor is told only admins create fields, and nothing is created", async () => {
    const account = await t.createAccount();
    const editor = await account.userCookie("editor");
    const created = await t.browser(editor, "/imports", { form: { csv: "Email,Birthday\na@example.com,31/12/1990\n" } });
    const location = created.headers.get("location")!;
    const page = await (await t.browser(editor, location)).text();
    assert.match(page, /Only an admin can create custom fields/);
    assert.doesNotMatch(page, /name="new_field_label_1"/);
    const res = await t.browser(editor, `${location}/fields`, {
      form: { map_0: "email", map_1: "skip", new_field_column: "1", new_field_label_1: "Birthday", new_field_type_1: "date" },
      headers: { "HX-Request": "true" },
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Only an admin can create custom fields/);
    assert.equal((await queryRows(t.db, sql`select 1 from custom_fields where account_id = ${account.accountId}`)).length, 0);
  });
});

describe("exports write typed custom fields back in the chosen forms", () => {
  async function seeded() {
    const account = await t.createAccount();
    await addFields(account);
    const result = await importCsv(
      account,
      ["email,amount,birthday,newsletter", "a@example.com,1991.51,1990-12-31,yes", "b@example.com,-3,2000-02-01,no"].join("\n"),
    );
    assert.equal(result.created, 2, result.error ?? "");
    return account;
  }

  async function exportVia(account: TestAccount, payload: Record<string, unknown>): Promise<Response> {
    const created = await t.api(account.apiKey, "/exports", { json: payload });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: number };
    await t.runJobs();
    const body = (await (await t.api(account.apiKey, `/exports/${id}`)).json()) as { download_url: string; date_form: string; decimal_mark: string };
    assert.deepEqual([body.date_form, body.decimal_mark], [payload.date_form ?? "ymd", payload.decimal_mark ?? "."]);
    return t.app.request(`http://localhost${body.download_url}`, { headers: { Authorization: `Bearer ${account.apiKey}` } });
  }

  const sorted = (text: string) => text.split("\r\n").filter(Boolean).sort();

  test("CSV: ISO dates and a decimal point by default; dd/mm/yyyy and a decimal comma when chosen, which import back unchanged", async () => {
    const account = await seeded();
    const fields = ["email", "custom:amount", "custom:birthday", "custom:newsletter"];
    const plain = await (await exportVia(account, { segment_id: null, fields, format: "csv" })).text();
    assert.deepEqual(sorted(plain), ["Email,Amount,Birthday,Newsletter", "a@example.com,1991.51,1990-12-31,true", "b@example.com,-3,2000-02-01,false"].sort());
    const chosen = await (await exportVia(account, { segment_id: null, fields, format: "csv", date_form: "dmy", decimal_mark: "," })).text();
    assert.deepEqual(
      sorted(chosen),
      ["Email,Amount,Birthday,Newsletter", 'a@example.com,"1991,51",31/12/1990,true', "b@example.com,-3,01/02/2000,false"].sort(),
    );
    const us = await (await exportVia(account, { segment_id: null, fields: ["email", "custom:birthday"], format: "tsv", date_form: "mdy" })).text();
    assert.ok(us.split("\n").includes("a@example.com\t12/31/1990"), us);
    // The file written with a decimal comma and day-first dates reads back as the same values.
    const other = await t.createAccount();
    await addFields(other);
    const back = await importCsv(other, chosen);
    assert.equal(back.invalid, 0);
    assert.deepEqual(await customOf(other.accountId), await customOf(account.accountId));
    const bad = await t.api(account.apiKey, "/exports", { json: { segment_id: null, fields, format: "csv", date_form: "dd.mm" } });
    assert.equal(bad.status, 422);
  });

  test("XLSX: real number and date cells, dates shown in the chosen form", async () => {
    const account = await seeded();
    const res = await exportVia(account, {
      segment_id: null,
      fields: ["email", "custom:amount", "custom:birthday"],
      format: "xlsx",
      date_form: "dmy",
      decimal_mark: ",",
    });
    const dir = mkdtempSync(join(tmpdir(), "roster-typed-xlsx-"));
    try {
      const path = join(dir, "export.xlsx");
      writeFileSync(path, Buffer.from(await res.arrayBuffer()));
      const styles = execFileSync("unzip", ["-p", path, "xl/styles.xml"], { encoding: "utf8" });
      assert.match(styles, /<numFmt numFmtId="164" formatCode="dd\/mm\/yyyy"\/>/);
      const sheet = execFileSync("unzip", ["-p", path, "xl/worksheets/sheet1.xml"], { encoding: "utf8" });
      // 1990-12-31 is Excel's day 33238; the amount is a number cell, whatever the decimal mark.
      assert.match(sheet, /<c r="C\d" s="1"><v>33238<\/v><\/c>/);
      assert.match(sheet, /<c r="B\d"><v>1991\.51<\/v><\/c>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the wizard's format step offers the date form and decimal mark for chosen date and number fields", async () => {
    const account = await seeded();
    const cookie = account.adminCookie;
    const state = {
      step: "properties",
      type: "contacts",
      segment: "all",
      fields: ["email", "custom:amount", "custom:birthday"],
      format: "csv",
      action: "next",
    };
    const step = await (await t.browser(cookie, "/exports/new", { form: state })).text();
    assert.match(step, /<select id="f-date-form" name="date_form">/);
    assert.match(step, /<select id="f-decimal-mark" name="decimal_mark">/);
    const onlyEmail = await (await t.browser(cookie, "/exports/new", { form: { ...state, fields: ["email"] } })).text();
    assert.doesNotMatch(onlyEmail, /id="f-date-form"/);
    const started = await t.browser(cookie, "/exports/new", { form: { ...state, step: "format", action: "start", date_form: "mdy", decimal_mark: "," } });
    assert.equal(started.status, 303);
    const [row] = await queryRows<{ date_form: string; decimal_mark: string }>(
      t.db,
      sql`select date_form, decimal_mark from exports where account_id = ${account.accountId}`,
    );
    assert.deepEqual(row, { date_form: "mdy", decimal_mark: "," });
    const refused = await t.browser(cookie, "/exports/new", { form: { ...state, step: "format", action: "start", date_form: "dd.mm" } });
    assert.equal(refused.status, 422);
  });
});
