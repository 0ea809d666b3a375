// NUL characters (U+0000), which PostgreSQL cannot store, are refused with a 400 or a field error naming where they
// were: searches, contact and segment forms, the contacts API, addresses, import rows and binary uploads.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, ORIGIN, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

async function contactNames(accountId: number) {
  return queryRows<{ email: string; first_name: string | null }>(
    t.db,
    sql`select email, first_name from contacts where account_id = ${accountId} order by email`,
  );
}

describe("searches and addresses", () => {
  test("q=%00 on the contact and segment searches is a 400 naming q", async () => {
    const account = await t.createAccount();
    for (const path of ["/contacts?q=%00", "/contacts/count?q=a%00b", "/segments?q=%00"]) {
      const res = await t.browser(account.adminCookie, path);
      assert.equal(res.status, 400, path);
      assert.match(await res.text(), /parameter &quot;q&quot; contains a NUL character|parameter "q" contains a NUL character/, path);
    }
    for (const path of ["/contacts?q=%00", "/segments?q=%00"]) {
      const res = await t.api(account.apiKey, path);
      assert.equal(res.status, 400, path);
      const body = (await res.json()) as { error: { code: string; field: string } };
      assert.deepEqual([body.error.code, body.error.field], ["invalid_parameter", "q"]);
    }
  });

  test("GET /api/v1/contacts/%00 is a 400, and a plain search still works", async () => {
    const account = await t.createAccount();
    const res = await t.api(account.apiKey, "/contacts/%00");
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /NUL character/);
    assert.equal((await t.api(account.apiKey, "/contacts?q=ana")).status, 200);
  });
});

describe("forms and JSON", () => {
  test("the contact form answers 422 with the error beside the field, and stores nothing", async () => {
    const account = await t.createAccount();
    const res = await t.browser(account.adminCookie, "/contacts", { form: { email: "ana@example.com", firstName: "An\u0000a" } });
    assert.equal(res.status, 422);
    assert.match(await res.text(), /id="f-firstName-error">Must not contain a NUL character/);
    assert.equal((await contactNames(account.accountId)).length, 0);
  });

  test("a segment name with NUL is a 422 on the form and the API, naming the field", async () => {
    const account = await t.createAccount();
    const form = await t.browser(account.adminCookie, "/segments", { form: { name: "VIP\u0000" } });
    assert.equal(form.status, 422);
    assert.match(await form.text(), /Must not contain a NUL character/);
    const api = await t.api(account.apiKey, "/segments", { json: { name: "VIP\u0000" } });
    assert.equal(api.status, 422);
    assert.equal(((await api.json()) as { error: { field: string } }).error.field, "name");
  });

  test("the contacts API names the field holding NUL, custom fields included", async () => {
    const account = await t.createAccount();
    await t.browser(account.adminCookie, "/admin/custom-fields", { form: { label: "Plan", key: "plan", type: "text" } });
    for (const [json, field] of [
      [{ email: "ana@example.com", first_name: "A\u0000" }, "first_name"],
      [{ email: "ana@example.com", phone: "\u0000" }, "phone"],
      [{ email: "ana@example.com", custom: { plan: "pro\u0000" } }, "custom.plan"],
    ] as const) {
      const res = await t.api(account.apiKey, "/contacts", { json });
      assert.equal(res.status, 422, JSON.stringify(json));
      const body = (await res.json()) as { error: { field: string; message: string } };
      assert.equal(body.error.field, field);
      assert.match(body.error.message, /NUL character/);
    }
    assert.equal((await contactNames(account.accountId)).length, 0);
  });
});

describe("events", () => {
  test("an event with NUL in a contact field or a property is a 422 naming its path", async () => {
    const account = await t.createAccount();
    const base = { type: "signup", email: "ev@example.com" };
    for (const [event, path] of [
      [{ ...base, id: "e1", contact: { first_name: "E\u0000" } }, "contact.first_name"],
      [{ ...base, id: "e2", contact: { plan: "\u0000" } }, "contact.plan"],
      [{ ...base, id: "e3", properties: { note: "a\u0000b" } }, "properties"],
    ] as const) {
      const res = await t.api(account.apiKey, "/events", { json: event });
      assert.equal(res.status, 422, JSON.stringify(event));
      const body = (await res.json()) as { error: { details: { path: string; message: string }[] } };
      assert.deepEqual(body.error.details, [{ path, message: "must not contain a NUL character (U+0000)" }]);
    }
    assert.equal((await contactNames(account.accountId)).length, 0);
  });
});

describe("imports", () => {
  test("a CSV row with a NUL cell is invalid with its line number; the other rows are imported", async () => {
    const account = await t.createAccount();
    const csv = "email,first_name\nana@example.com,Ana\nbob@example.com,B\u0000ob\ncy@example.com,Cy\n";
    const res = await t.api(account.apiKey, "/imports", { method: "POST", body: new Uint8Array(Buffer.from(csv)), headers: { "Content-Type": "text/csv" } });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: number };
    await t.runJobs();
    const result = (await (await t.api(account.apiKey, `/imports/${id}`)).json()) as { status: string; created: number; invalid: number };
    assert.deepEqual([result.status, result.created, result.invalid], ["completed", 2, 1]);
    assert.deepEqual(
      (await contactNames(account.accountId)).map((c) => c.email),
      ["ana@example.com", "cy@example.com"],
    );
    const report = await (await t.api(account.apiKey, `/imports/${id}/errors`)).text();
    assert.match(report, /\r\n3,column 2 contains a NUL character,/);
  });

  test("a PNG chosen in the browser's import form is refused as not text, with nothing stored", async () => {
    const account = await t.createAccount();
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(tinyPng())], { type: "image/png" }), "photo.png");
    const res = await t.app.request(`${ORIGIN}/imports`, { method: "POST", body: form, headers: { Cookie: account.adminCookie, Origin: ORIGIN } });
    assert.equal(res.status, 422);
    assert.match(await res.text(), /This file is not text/);
    const [files] = await queryRows<{ n: string }>(t.db, sql`select count(*) as n from files where account_id = ${account.accountId}`);
    assert.equal(Number(files!.n), 0);
  });
});

/** A valid 16x16 PNG, as a browser would send a picked image. */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(16, 0);
  header.writeUInt32BE(16, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const pixels = Buffer.alloc(16 * (1 + 16 * 3));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
