import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { buildWorkflow, createSegment, eventId, workflowRow } from "./workflows-helpers";

let t: TestApp;
let acct: TestAccount;
before(async () => {
  t = await createTestApp();
  acct = await t.createAccount();
});
after(() => t.close());

test("deleting a segment deactivates the workflows that act on it, saying why", async () => {
  const segmentId = await createSegment(t, acct.accountId, "Desk lovers");
  const other = await createSegment(t, acct.accountId, "Unrelated");
  const id = await buildWorkflow(t, acct, { name: "Desk search", trigger: "product_search", actions: [{ kind: "add", segmentId }], activate: true });
  const untouched = await buildWorkflow(t, acct, { name: "Other", trigger: "product_search", actions: [{ kind: "add", segmentId: other }], activate: true });
  assert.equal((await workflowRow(t, acct.accountId, id)).status, "active");

  const res = await t.api(acct.apiKey, `/segments/${segmentId}`, { method: "DELETE" });
  assert.ok(res.status === 200 || res.status === 204, `delete answered ${res.status}`);

  const row = await workflowRow(t, acct.accountId, id);
  assert.equal(row.status, "inactive");
  assert.match(row.deactivatedReason ?? "", /"Desk lovers" it acts on was deleted/);
  assert.equal((await workflowRow(t, acct.accountId, untouched)).status, "active");
  const page = await (await t.browser(acct.adminCookie, `/workflows/${id}`)).text();
  assert.match(page, /Desk lovers/);
});

test("the contact page shows the contact's recent events", async () => {
  const res = await t.api(acct.apiKey, "/events", {
    json: { id: eventId(), type: "product_search", email: "Recent@Example.test", properties: { query: "standing desk", product: { name: "Desk", category: "Office furniture" } } },
  });
  assert.ok(res.status < 300, `event answered ${res.status}`);
  const [contact] = await queryRows<{ id: string | number }>(t.db, sql`select id from contacts where account_id = ${acct.accountId} and lower(email) = 'recent@example.test'`);
  const html = await (await t.browser(acct.adminCookie, `/contacts/${contact!.id}`)).text();
  assert.match(html, /Recent events/);
  assert.match(html, /standing desk/);
});

test("deleting a contact deletes its events, and only its", async () => {
  const send = (email: string) => t.api(acct.apiKey, "/events", { json: { id: eventId(), type: "page_view", email, properties: { url: "https://shop.example/" } } });
  for (const email of ["leaving@example.test", "leaving@example.test", "staying@example.test"]) assert.ok((await send(email)).status < 300);
  const count = async (email: string) => {
    const [row] = await queryRows<{ n: string | number }>(
      t.db,
      sql`select count(e.id) as n from contacts c left join events e on e.account_id = c.account_id and e.contact_id = c.id
          where c.account_id = ${acct.accountId} and lower(c.email) = ${email}`,
    );
    return Number(row!.n);
  };
  const [leaving] = await queryRows<{ id: string | number }>(t.db, sql`select id from contacts where account_id = ${acct.accountId} and lower(email) = 'leaving@example.test'`);
  assert.equal(await count("leaving@example.test"), 2);
  const del = await t.browser(acct.adminCookie, `/contacts/${leaving!.id}/delete`, { form: {} });
  assert.ok(del.status < 400, `delete answered ${del.status}`);
  const [left] = await queryRows<{ n: string | number }>(t.db, sql`select count(*) as n from events where account_id = ${acct.accountId} and contact_id = ${leaving!.id}`);
  assert.equal(Number(left!.n), 0, "the deleted contact's events are gone");
  assert.equal(await count("staying@example.test"), 1, "another contact's events stay");
});
