// A send-only key sits in public pages: the contact fields its events carry create a contact or fill empty fields,
// never change a stored value. A full key keeps updating contacts as given.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { createApiKey } from "../../src/auth/api-keys";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

let n = 0;
const eventId = () => `evt-${++n}`;

async function contact(accountId: number, email: string) {
  const [row] = await queryRows<{ first_name: string | null; last_name: string | null; phone: string | null; custom: Record<string, unknown> }>(
    t.db,
    sql`select first_name, last_name, phone, custom from contacts where account_id = ${accountId} and lower(email) = lower(${email})`,
  );
  return row ?? null;
}

async function sendOnlyKey(account: TestAccount) {
  return (await createApiKey(t.db, account.accountId, { name: "Shop pages", scope: "send", allowedOrigins: ["https://shop.example.com"] })).key;
}

describe("events sent with a send-only key", () => {
  test("without an Origin header they cannot change a stored name, phone or custom value, but fill empty fields", async () => {
    const account = await t.createAccount();
    await t.browser(account.adminCookie, "/admin/custom-fields", { form: { label: "Plan", type: "text" } });
    await t.browser(account.adminCookie, "/admin/custom-fields", { form: { label: "City", type: "text" } });
    const created = await t.api(account.apiKey, "/contacts", {
      json: { email: "ana@example.com", first_name: "Ana", phone: "+34 600 12 34 56", custom: { plan: "gold" } },
    });
    assert.equal(created.status, 201);
    const key = await sendOnlyKey(account);

    const res = await t.api(key, "/events", {
      json: {
        id: eventId(),
        type: "signup",
        email: "ANA@example.com",
        contact: { first_name: "Mallory", last_name: "Lopez", phone: "+1 415 555 2671", plan: "free", city: "Madrid" },
      },
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await contact(account.accountId, "ana@example.com"), {
      first_name: "Ana",
      last_name: "Lopez",
      phone: "+34600123456",
      custom: { plan: "gold", city: "Madrid" },
    });

    const batch = await t.api(key, "/events/batch", {
      json: { events: [{ id: eventId(), type: "signup", email: "ana@example.com", contact: { first_name: "Eve", city: "Paris" } }] },
    });
    assert.equal(((await batch.json()) as { accepted: number }).accepted, 1);
    const after = await contact(account.accountId, "ana@example.com");
    assert.deepEqual([after!.first_name, after!.custom.city], ["Ana", "Madrid"], "the batch path keeps stored values too");
  });

  test("they still create a new contact with every field given", async () => {
    const account = await t.createAccount();
    const key = await sendOnlyKey(account);
    const res = await t.api(key, "/events", {
      json: { id: eventId(), type: "signup", email: "new@example.com", contact: { first_name: "Nia", phone: "+44 20 7946 0000" } },
    });
    assert.equal(res.status, 202);
    const row = await contact(account.accountId, "new@example.com");
    assert.deepEqual([row!.first_name, row!.phone], ["Nia", "+442079460000"]);
  });

  test("a full key's events keep overwriting stored fields", async () => {
    const account = await t.createAccount();
    await t.api(account.apiKey, "/contacts", { json: { email: "bo@example.com", first_name: "Bo", phone: "+1 212 555 0100" } });
    const res = await t.api(account.apiKey, "/events", {
      json: { id: eventId(), type: "signup", email: "bo@example.com", contact: { first_name: "Bob", phone: "+1 212 555 0199" } },
    });
    assert.equal(res.status, 202);
    const row = await contact(account.accountId, "bo@example.com");
    assert.deepEqual([row!.first_name, row!.phone], ["Bob", "+12125550199"]);
  });
});
