import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { backendPid, waitForLockWaiter } from "../support/locks";
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
    json: {
      id: eventId(),
      type: "product_search",
      email: "Recent@Example.test",
      properties: { query: "standing desk", product: { name: "Desk", category: "Office furniture" } },
    },
  });
  assert.ok(res.status < 300, `event answered ${res.status}`);
  const [contact] = await queryRows<{ id: string | number }>(
    t.db,
    sql`select id from contacts where account_id = ${acct.accountId} and lower(email) = 'recent@example.test'`,
  );
  const html = await (await t.browser(acct.adminCookie, `/contacts/${contact!.id}`)).text();
  assert.match(html, /Recent events/);
  assert.match(html, /standing desk/);
});

test("deleting a contact deletes its events, and only its", async () => {
  const send = (email: string) =>
    t.api(acct.apiKey, "/events", { json: { id: eventId(), type: "page_view", email, properties: { url: "https://shop.example/" } } });
  for (const email of ["leaving@example.test", "leaving@example.test", "staying@example.test"]) assert.ok((await send(email)).status < 300);
  const count = async (email: string) => {
    const [row] = await queryRows<{ n: string | number }>(
      t.db,
      sql`select count(e.id) as n from contacts c left join events e on e.account_id = c.account_id and e.contact_id = c.id
          where c.account_id = ${acct.accountId} and lower(c.email) = ${email}`,
    );
    return Number(row!.n);
  };
  const [leaving] = await queryRows<{ id: string | number }>(
    t.db,
    sql`select id from contacts where account_id = ${acct.accountId} and lower(email) = 'leaving@example.test'`,
  );
  assert.equal(await count("leaving@example.test"), 2);
  const del = await t.browser(acct.adminCookie, `/contacts/${leaving!.id}/delete`, { form: {} });
  assert.ok(del.status < 400, `delete answered ${del.status}`);
  const [left] = await queryRows<{ n: string | number }>(
    t.db,
    sql`select count(*) as n from events where account_id = ${acct.accountId} and contact_id = ${leaving!.id}`,
  );
  assert.equal(Number(left!.n), 0, "the deleted contact's events are gone");
  assert.equal(await count("staying@example.test"), 1, "another contact's events stay");
});

test("deleting a contact that waits for its segment also ends the membership the holder just gave it", async () => {
  const first = await createSegment(t, acct.accountId, "Held");
  const second = await createSegment(t, acct.accountId, "Joined meanwhile");
  const [contact] = await queryRows<{ id: number }>(
    t.db,
    sql`insert into contacts (account_id, email) values (${acct.accountId}, 'waiting@example.test') returning id`,
  );
  const member = (segmentId: number) =>
    sql`insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label) values (${acct.accountId}, ${segmentId}, ${contact!.id}, now(), 'manual', null, 'test')`;
  await t.db.execute(member(first));
  await t.db.execute(sql`update segments set member_count = 1 where account_id = ${acct.accountId} and id = ${first}`);
  // Another change holds the contact's segment and adds the contact to a second one...
  const holder = await t.database.sql.reserve();
  await holder`begin`;
  await holder`select id from segments where account_id = ${acct.accountId} and id = ${first} for no key update`;
  const deletion = t.browser(acct.adminCookie, `/contacts/${contact!.id}/delete`, { form: {} });
  await waitForLockWaiter(t.db, await backendPid(holder));
  await holder.unsafe(
    `insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label) values ($1, $2, $3, now(), 'manual', null, 'test')`,
    [acct.accountId, second, contact!.id],
  );
  await holder`update segments set member_count = member_count + 1 where account_id = ${acct.accountId} and id = ${second}`;
  await holder`commit`;
  holder.release();
  // ...the deletion, which waited, ends both memberships: counts and history say so.
  assert.ok((await deletion).status < 400);
  const rows = await queryRows<{ id: number; member_count: number; exits: number }>(
    t.db,
    sql`select s.id, s.member_count::int as member_count,
          (select count(*)::int from membership_events h where h.account_id = s.account_id and h.segment_id = s.id and h.action = 'removed') as exits
        from segments s where s.account_id = ${acct.accountId} and s.id in (${first}, ${second}) order by s.id`,
  );
  assert.deepEqual(
    rows.map((r) => [Number(r.member_count), Number(r.exits)]),
    [
      [0, 1],
      [0, 1],
    ],
  );
});
