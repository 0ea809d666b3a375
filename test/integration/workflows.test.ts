import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "../../src/db/client";
import { ingestEvents } from "../../src/events/ingest";
import { validateEvent, type NormalizedEvent } from "../../src/events/validate";
import { runMaintenance } from "../../src/jobs/maintenance";
import { activeWorkflowsSelect, parseActiveWorkflows, runWorkflows } from "../../src/workflows/evaluate";
import { deactivateWorkflowsForSegment } from "../../src/workflows/queries";
import { backendPid, waitForLockWaiter } from "../support/locks";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { buildWorkflow, createSegment, eventId, memberEmails, workflowRow } from "./workflows-helpers";

let t: TestApp;
let acct: TestAccount;
before(async () => {
  t = await createTestApp();
  acct = await t.createAccount();
});
after(() => t.close());

function send(key: string, type: string, email: string, properties: Record<string, unknown> = {}, id = eventId()) {
  return t.api(key, "/events", { json: { id, type, email, properties } });
}

async function history(accountId: number, segmentId: number) {
  return queryRows<{ email: string; action: string; source_type: string; source_label: string }>(
    t.db,
    sql`select lower(c.email) as email, h.action, h.source_type, h.source_label from membership_events h
        join contacts c on c.account_id = h.account_id and c.id = h.contact_id
        where h.account_id = ${accountId} and h.segment_id = ${segmentId} order by h.id`,
  );
}

describe("the editor", () => {
  test("a new workflow is built node by node; Save and Activate say what is missing, on the node that lacks it", async () => {
    const seg = await createSegment(t, acct.accountId, "Editor segment");
    const created = await t.browser(acct.adminCookie, "/workflows", { form: { name: "Editor test" } });
    const id = Number(/\/workflows\/(\d+)/.exec(created.headers.get("location")!)![1]);

    const early = await t.browser(acct.adminCookie, `/workflows/${id}/activate`, { form: {} });
    assert.equal(early.status, 422);
    const earlyHtml = await early.text();
    assert.match(earlyHtml, /Trigger: Choose when the workflow starts/);
    assert.match(earlyHtml, /Add at least one action/);
    assert.match(earlyHtml, /id="wf-trigger"[^>]*aria-invalid="true"/, "the trigger node is marked");

    const save = await t.browser(acct.adminCookie, `/workflows/${id}/save`, { form: {} });
    assert.equal(save.status, 422);
    const html = await save.text();
    assert.match(html, /Trigger: Choose when the workflow starts/);
    assert.match(html, /Add at least one action/);

    const hx = { "HX-Request": "true" };
    const preview = await t.browser(acct.adminCookie, `/workflows/${id}/trigger?preview=1`, { form: { trigger: "custom" }, headers: hx });
    assert.match(await preview.text(), /name="customType"/, "choosing a custom trigger shows its event name field");
    assert.equal((await workflowRow(t, acct.accountId, id)).draft.trigger, null, "a preview saves nothing");

    const badTrigger = await t.browser(acct.adminCookie, `/workflows/${id}/trigger`, { form: { trigger: "custom", customType: "Not Valid" }, headers: hx });
    assert.equal(badTrigger.status, 422);
    assert.match(await badTrigger.text(), /aria-invalid="true"/);

    const trig = await t.browser(acct.adminCookie, `/workflows/${id}/trigger`, { form: { trigger: "product_search" }, headers: hx });
    assert.equal(trig.status, 200);
    const fragment = await trig.text();
    assert.match(fragment, /id="node-trigger"/);
    assert.match(fragment, /<hx-partial hx-target="#workflow-diagram"/);
    assert.match(fragment, /When searching/);
    assert.doesNotMatch(fragment, /<html/, "htmx gets the node, not the page");

    const added = await t.browser(acct.adminCookie, `/workflows/${id}/conditions`, { form: {}, headers: hx });
    const key = /id="node-([0-9a-f]{8})"/.exec(await added.text())![1]!;
    const badCond = await t.browser(acct.adminCookie, `/workflows/${id}/conditions/${key}`, {
      form: { path: "total", operator: "greater_than", value: "lots" },
      headers: hx,
    });
    assert.equal(badCond.status, 422);
    assert.match(await badCond.text(), /Enter a number/);
    const cond = await t.browser(acct.adminCookie, `/workflows/${id}/conditions/${key}`, {
      form: { path: "product.category", operator: "equals", value: "office furniture" },
      headers: hx,
    });
    assert.equal(cond.status, 200);
    assert.match(await cond.text(), /product\.category equals &quot;office furniture&quot;|product\.category equals "office furniture"/);

    // Without JavaScript the same form posts and the page comes back.
    await t.browser(acct.adminCookie, `/workflows/${id}/actions`, { form: {} });
    const actionKey = (await workflowRow(t, acct.accountId, id)).draft.actions[0]!.key;
    const plain = await t.browser(acct.adminCookie, `/workflows/${id}/actions/${actionKey}`, { form: { kind: "add", segmentId: String(seg) } });
    assert.equal(plain.status, 303);
    assert.equal(plain.headers.get("location"), `/workflows/${id}#node-${actionKey}`);

    const page = await (await t.browser(acct.adminCookie, `/workflows/${id}`)).text();
    assert.match(page, /Not saved yet/);
    const ok = await t.browser(acct.adminCookie, `/workflows/${id}/save`, { form: {} });
    assert.equal(ok.status, 303);
    let row = await workflowRow(t, acct.accountId, id);
    assert.equal(row.eventType, "product_search");
    assert.deepEqual(row.conditions, [{ path: "product.category", operator: "equals", value: "office furniture" }]);
    assert.deepEqual(row.actions, [{ kind: "add", segmentId: seg }]);
    assert.equal(row.status, "inactive");

    assert.equal((await t.browser(acct.adminCookie, `/workflows/${id}/activate`, { form: {} })).status, 303);
    row = await workflowRow(t, acct.accountId, id);
    assert.equal(row.status, "active");
    const after = await (await t.browser(acct.adminCookie, `/workflows/${id}`)).text();
    assert.doesNotMatch(after, /Unsaved changes|Not saved yet/);
    assert.match(await (await t.browser(acct.adminCookie, "/workflows")).text(), /Editor test/);

    // Removing a condition from the draft does not change what runs until Save.
    await t.browser(acct.adminCookie, `/workflows/${id}/conditions/${key}/delete`, { form: {}, headers: hx });
    assert.equal((await workflowRow(t, acct.accountId, id)).conditions.length, 1);
    assert.match(await (await t.browser(acct.adminCookie, `/workflows/${id}`)).text(), /Unsaved changes/);
    await t.browser(acct.adminCookie, `/workflows/${id}/deactivate`, { form: {} });
    assert.equal((await workflowRow(t, acct.accountId, id)).status, "inactive");
  });

  test("Activate saves the draft the editor shows, and refuses an incomplete one on the node that lacks it", async () => {
    const seg = await createSegment(t, acct.accountId, "Activate segment");
    const hx = { "HX-Request": "true" };
    const id = await buildWorkflow(t, acct, { name: "Activate test", trigger: "purchase", actions: [{ kind: "add", segmentId: seg }], activate: false });
    // An action added but left without its segment: Activate names it and marks that node, and nothing runs.
    await t.browser(acct.adminCookie, `/workflows/${id}/actions`, { form: {}, headers: hx });
    const second = (await workflowRow(t, acct.accountId, id)).draft.actions[1]!.key;
    const refused = await t.browser(acct.adminCookie, `/workflows/${id}/activate`, { form: {} });
    assert.equal(refused.status, 422);
    const html = await refused.text();
    assert.match(html, /Action 2: Choose a segment/);
    const node = new RegExp(`<form id="node-${second}"[\\s\\S]*?</form>`).exec(html)![0];
    assert.match(node, /aria-invalid="true"/);
    assert.match(node, /Choose a segment/);
    assert.equal((await workflowRow(t, acct.accountId, id)).status, "inactive");

    // Removed again, the draft is complete but unsaved: Activate saves it and activates it.
    await t.browser(acct.adminCookie, `/workflows/${id}/actions/${second}/delete`, { form: {}, headers: hx });
    await t.browser(acct.adminCookie, `/workflows/${id}/trigger`, { form: { trigger: "form_submit" }, headers: hx });
    const ok = await t.browser(acct.adminCookie, `/workflows/${id}/activate`, { form: {} });
    assert.equal(ok.status, 303);
    const row = await workflowRow(t, acct.accountId, id);
    assert.equal(row.status, "active");
    assert.equal(row.eventType, "form_submit", "what runs is the draft the editor showed");
  });

  test("viewers are refused; another account's workflow is not found", async () => {
    const viewer = await acct.userCookie("viewer");
    assert.equal((await t.browser(viewer, "/workflows")).status, 403);
    const seg = await createSegment(t, acct.accountId, "Mine");
    const id = await buildWorkflow(t, acct, { name: "Private", trigger: "purchase", actions: [{ kind: "add", segmentId: seg }], activate: false });
    const other = await t.createAccount();
    assert.equal((await t.browser(other.adminCookie, `/workflows/${id}`)).status, 404);
    assert.equal((await t.browser(other.adminCookie, `/workflows/${id}/activate`, { form: {} })).status, 404);
    assert.equal((await workflowRow(t, acct.accountId, id)).status, "inactive");
  });
});

describe("triggers and conditions", () => {
  test("each trigger fires on its own event type only", async () => {
    const a = await t.createAccount();
    const cases = [
      { trigger: "purchase", type: "purchase", properties: { order_id: "o1", total: 10, currency: "EUR" } },
      { trigger: "product_search", type: "product_search", properties: { query: "desk" } },
      { trigger: "page_view", type: "page_view", properties: { url: "https://shop.example/" } },
      { trigger: "form_submit", type: "form_submit", properties: { form: "contact" } },
      { trigger: "custom", customType: "trial.started", type: "trial.started", properties: {} },
    ];
    const segs: number[] = [];
    for (const c of cases) {
      const seg = await createSegment(t, a.accountId, `T ${c.trigger}`);
      segs.push(seg);
      await buildWorkflow(t, a, { name: `T ${c.trigger}`, trigger: c.trigger, customType: c.customType, actions: [{ kind: "add", segmentId: seg }] });
    }
    for (const [i, c] of cases.entries()) {
      const res = await send(a.apiKey, c.type, `t${i}@example.com`, c.properties);
      assert.equal(res.status, 202, await res.clone().text());
    }
    for (const [i] of cases.entries()) {
      assert.deepEqual(await memberEmails(t, a.accountId, segs[i]!), [`t${i}@example.com`], `trigger ${cases[i]!.trigger}`);
    }
  });

  test("each operator: equals, not equals, contains, greater than, less than, in list", async () => {
    const a = await t.createAccount();
    const ops = [
      { operator: "equals", path: "product.category", value: "Office Furniture" },
      { operator: "not_equals", path: "product.category", value: "garden" },
      { operator: "contains", path: "query", value: "desk" },
      { operator: "greater_than", path: "price", value: "100" },
      { operator: "less_than", path: "price", value: "100" },
      { operator: "in_list", path: "product.category", value: "lamps, office furniture" },
    ];
    const segs: Record<string, number> = {};
    for (const o of ops) {
      segs[o.operator] = await createSegment(t, a.accountId, `Op ${o.operator}`);
      await buildWorkflow(t, a, {
        name: `Op ${o.operator}`,
        trigger: "product_search",
        conditions: [o],
        actions: [{ kind: "add", segmentId: segs[o.operator]! }],
      });
    }
    await send(a.apiKey, "product_search", "desk@example.com", { query: "standing desk", product: { name: "Desk", category: "office furniture" }, price: 250 });
    await send(a.apiKey, "product_search", "lamp@example.com", { query: "lamp", product: { name: "Lamp", category: "Lamps" }, price: 40 });
    await send(a.apiKey, "product_search", "garden@example.com", { query: "hose", product: { category: "garden" }, price: 100 });
    assert.deepEqual(await memberEmails(t, a.accountId, segs.equals!), ["desk@example.com"]);
    assert.deepEqual(await memberEmails(t, a.accountId, segs.not_equals!), ["desk@example.com", "lamp@example.com"]);
    assert.deepEqual(await memberEmails(t, a.accountId, segs.contains!), ["desk@example.com"]);
    assert.deepEqual(await memberEmails(t, a.accountId, segs.greater_than!), ["desk@example.com"]);
    assert.deepEqual(await memberEmails(t, a.accountId, segs.less_than!), ["lamp@example.com"]);
    assert.deepEqual(await memberEmails(t, a.accountId, segs.in_list!), ["desk@example.com", "lamp@example.com"]);
  });

  test("all conditions must hold; a purchase condition on products reads every product", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Big office buyers");
    await buildWorkflow(t, a, {
      name: "Big office buyers",
      trigger: "purchase",
      conditions: [
        { path: "total", operator: "greater_than", value: "100" },
        { path: "products.category", operator: "equals", value: "office furniture" },
      ],
      actions: [{ kind: "add", segmentId: seg }],
    });
    const order = (total: number, category: string) => ({
      order_id: eventId("o"),
      total,
      currency: "EUR",
      products: [
        { id: 1, name: "Pen", category: "stationery" },
        { id: 2, name: "Desk", category },
      ],
    });
    await send(a.apiKey, "purchase", "yes@example.com", order(300, "Office furniture"));
    await send(a.apiKey, "purchase", "small@example.com", order(50, "office furniture"));
    await send(a.apiKey, "purchase", "other@example.com", order(300, "garden"));
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["yes@example.com"]);
  });
});

describe("actions and runs", () => {
  test("remove actions take contacts out, history says which workflow, runs are counted", async () => {
    const a = await t.createAccount();
    const prospects = await createSegment(t, a.accountId, "Prospects");
    const customers = await createSegment(t, a.accountId, "Customers");
    await buildWorkflow(t, a, { name: "Searchers", trigger: "product_search", actions: [{ kind: "add", segmentId: prospects }] });
    const buyers = await buildWorkflow(t, a, {
      name: "Buyers",
      trigger: "purchase",
      actions: [
        { kind: "add", segmentId: customers },
        { kind: "remove", segmentId: prospects },
      ],
    });
    await send(a.apiKey, "product_search", "ann@example.com", { query: "desk" });
    await send(a.apiKey, "product_search", "bob@example.com", { query: "desk" });
    assert.deepEqual(await memberEmails(t, a.accountId, prospects), ["ann@example.com", "bob@example.com"]);
    await send(a.apiKey, "purchase", "ann@example.com", { order_id: "1", total: 10, currency: "EUR" });
    assert.deepEqual(await memberEmails(t, a.accountId, prospects), ["bob@example.com"]);
    assert.deepEqual(await memberEmails(t, a.accountId, customers), ["ann@example.com"]);
    const h = await history(a.accountId, prospects);
    assert.deepEqual(h.at(-1), { email: "ann@example.com", action: "removed", source_type: "workflow", source_label: "workflow Buyers" });
    assert.deepEqual(
      (await history(a.accountId, customers)).map((r) => r.source_label),
      ["workflow Buyers"],
    );

    const row = await workflowRow(t, a.accountId, buyers);
    assert.equal(row.eventsMatched, 1);
    assert.equal(row.contactsAdded, 1);
    assert.equal(row.contactsRemoved, 1);
    assert.ok(row.lastRunAt);
    const page = await (await t.browser(a.adminCookie, `/workflows/${buyers}`)).text();
    assert.match(page, /data-testid="events-matched">1</);
    assert.match(page, /data-testid="contacts-removed">1</);
  });

  test("inactive workflows are ignored, and events received while inactive are never acted on", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Quiet");
    const id = await buildWorkflow(t, a, { name: "Quiet", trigger: "form_submit", actions: [{ kind: "add", segmentId: seg }], activate: false });
    await send(a.apiKey, "form_submit", "early@example.com", { form: "x" });
    assert.deepEqual(await memberEmails(t, a.accountId, seg), []);
    await t.browser(a.adminCookie, `/workflows/${id}/activate`, { form: {} });
    await send(a.apiKey, "form_submit", "late@example.com", { form: "x" });
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["late@example.com"]);
    await t.browser(a.adminCookie, `/workflows/${id}/deactivate`, { form: {} });
    await send(a.apiKey, "form_submit", "after@example.com", { form: "x" });
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["late@example.com"]);
    assert.equal((await workflowRow(t, a.accountId, id)).eventsMatched, 1);
  });

  test("a repeated event never runs a workflow twice", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Once");
    const id = await buildWorkflow(t, a, { name: "Once", trigger: "form_submit", actions: [{ kind: "add", segmentId: seg }] });
    const evId = eventId();
    await send(a.apiKey, "form_submit", "once@example.com", { form: "x" }, evId);
    await t.db.execute(sql`delete from segment_members where account_id = ${a.accountId}`);
    const again = await send(a.apiKey, "form_submit", "once@example.com", { form: "x" }, evId);
    assert.equal((await again.json()).status, "duplicate");
    assert.deepEqual(await memberEmails(t, a.accountId, seg), [], "the duplicate did not run the workflow again");
    assert.equal((await workflowRow(t, a.accountId, id)).eventsMatched, 1);
  });

  test("concurrent duplicates run the workflow once", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Concurrent");
    const id = await buildWorkflow(t, a, { name: "Concurrent", trigger: "purchase", actions: [{ kind: "add", segmentId: seg }] });
    for (let round = 0; round < 5; round++) {
      const evId = eventId("dup");
      const email = `dup${round}@example.com`;
      const body = { id: evId, type: "purchase", email, properties: { order_id: evId, total: 1, currency: "EUR" } };
      const batchBody = { events: [body, body] };
      const responses = await Promise.all([
        ...Array.from({ length: 8 }, () => t.api(a.apiKey, "/events", { json: body })),
        ...Array.from({ length: 4 }, () => t.api(a.apiKey, "/events/batch", { json: batchBody })),
      ]);
      const singles = await Promise.all(responses.slice(0, 8).map((r) => r.json()));
      const batches = await Promise.all(responses.slice(8).map((r) => r.json()));
      for (const b of [...singles, ...batches]) assert.ok(!b.error, JSON.stringify(b));
      const accepted = singles.filter((b) => b.status === "accepted").length + batches.reduce((n, b) => n + b.accepted, 0);
      assert.equal(accepted, 1, `round ${round}: exactly one copy is accepted`);
    }
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from events where account_id = ${a.accountId}`);
    assert.equal(Number(n), 5);
    const row = await workflowRow(t, a.accountId, id);
    assert.equal(row.eventsMatched, 5);
    assert.equal(row.contactsAdded, 5);
    assert.equal((await history(a.accountId, seg)).length, 5);
  });

  test("one failing workflow is recorded on its run log; the others still run and the event is kept", async () => {
    const a = await t.createAccount();
    const good = await createSegment(t, a.accountId, "Good");
    const other = await createSegment(t, a.accountId, "Other");
    const broken = await buildWorkflow(t, a, { name: "Broken", trigger: "page_view", actions: [{ kind: "add", segmentId: other }] });
    await buildWorkflow(t, a, { name: "Fine", trigger: "page_view", actions: [{ kind: "add", segmentId: good }] });
    await t.db.execute(sql`update workflows set conditions = '{"not": "a list"}'::jsonb where account_id = ${a.accountId} and id = ${broken}`);
    const res = await send(a.apiKey, "page_view", "pv@example.com", { url: "https://shop.example/" });
    assert.equal(res.status, 202);
    assert.deepEqual(await memberEmails(t, a.accountId, good), ["pv@example.com"]);
    const row = await workflowRow(t, a.accountId, broken);
    assert.equal(row.errorCount, 1);
    assert.match(row.lastError!, /^Failed: /);
    const page = await (await t.browser(a.adminCookie, `/workflows/${broken}`)).text();
    assert.match(page, /Recent errors/);
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from events where account_id = ${a.accountId}`);
    assert.equal(Number(n), 1);
  });

  test("a workflow whose segment is deleted is deactivated and says why", async () => {
    const a = await t.createAccount();
    const doomed = await createSegment(t, a.accountId, "Doomed");
    const gone = await createSegment(t, a.accountId, "Gone");
    const byHook = await buildWorkflow(t, a, { name: "By hook", trigger: "page_view", actions: [{ kind: "add", segmentId: doomed }] });
    const atRun = await buildWorkflow(t, a, { name: "At run", trigger: "form_submit", actions: [{ kind: "add", segmentId: gone }] });

    await t.db.execute(sql`delete from segments where account_id = ${a.accountId} and id = ${doomed}`);
    assert.equal(await deactivateWorkflowsForSegment(t.db, a.accountId, doomed, "Doomed"), 1);
    const hooked = await workflowRow(t, a.accountId, byHook);
    assert.equal(hooked.status, "inactive");
    assert.match(hooked.deactivatedReason!, /segment "Doomed" it acts on was deleted/);
    assert.match(await (await t.browser(a.adminCookie, `/workflows/${byHook}`)).text(), /segment &quot;Doomed&quot;|segment "Doomed"/);

    // Deleted without telling the workflows: the next matching event deactivates it and records why.
    await t.db.execute(sql`delete from segments where account_id = ${a.accountId} and id = ${gone}`);
    const res = await send(a.apiKey, "form_submit", "f@example.com", { form: "x" });
    assert.equal(res.status, 202);
    const ran = await workflowRow(t, a.accountId, atRun);
    assert.equal(ran.status, "inactive");
    assert.match(ran.deactivatedReason!, /no longer exists/);
    assert.equal(ran.errorCount, 1);
    const act = await t.browser(a.adminCookie, `/workflows/${atRun}/activate`, { form: {} });
    assert.equal(act.status, 422, "it cannot be activated again until a segment is chosen");
  });

  test("one event, a workflow whose segment is gone and one that acts: the error and the change are both recorded", async () => {
    const a = await t.createAccount();
    const gone = await createSegment(t, a.accountId, "Gone soon");
    const kept = await createSegment(t, a.accountId, "Kept");
    const broken = await buildWorkflow(t, a, { name: "Broken", trigger: "form_submit", actions: [{ kind: "add", segmentId: gone }] });
    const working = await buildWorkflow(t, a, { name: "Working", trigger: "form_submit", actions: [{ kind: "add", segmentId: kept }] });
    await t.db.execute(sql`delete from segments where account_id = ${a.accountId} and id = ${gone}`);
    assert.equal((await send(a.apiKey, "form_submit", "both@example.com", { form: "x" })).status, 202);
    const [b, w] = [await workflowRow(t, a.accountId, broken), await workflowRow(t, a.accountId, working)];
    assert.deepEqual([b.status, b.eventsMatched, b.errorCount], ["inactive", 1, 1]);
    assert.match(b.lastError ?? "", /no longer exists/);
    const logged = await queryRows<{ message: string }>(
      t.db,
      sql`select message from workflow_errors where account_id = ${a.accountId} and workflow_id = ${broken}`,
    );
    assert.equal(logged.length, 1);
    assert.deepEqual([w.status, w.eventsMatched, w.contactsAdded, w.errorCount], ["active", 1, 1, 0]);
    assert.deepEqual(await memberEmails(t, a.accountId, kept), ["both@example.com"]);
  });

  test("two workflows adding the same contact in one batch: the first is credited, the second finds it there", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Both");
    const first = await buildWorkflow(t, a, { name: "First", trigger: "page_view", actions: [{ kind: "add", segmentId: seg }] });
    const second = await buildWorkflow(t, a, { name: "Second", trigger: "page_view", actions: [{ kind: "add", segmentId: seg }] });
    const events = ["x@example.com", "y@example.com", "x@example.com"].map((email) => ({
      id: eventId("both"),
      type: "page_view",
      email,
      properties: { url: "https://shop.example/" },
    }));
    assert.equal((await (await t.api(a.apiKey, "/events/batch", { json: { events } })).json()).accepted, 3);
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["x@example.com", "y@example.com"]);
    assert.deepEqual((await history(a.accountId, seg)).map((h) => `${h.email} ${h.action} ${h.source_label}`).sort(), [
      "x@example.com added workflow First",
      "y@example.com added workflow First",
    ]);
    const [one, two] = [await workflowRow(t, a.accountId, first), await workflowRow(t, a.accountId, second)];
    assert.deepEqual([one.eventsMatched, one.contactsAdded, two.eventsMatched, two.contactsAdded], [3, 2, 3, 0]);
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select member_count::int as n from segments where account_id = ${a.accountId} and id = ${seg}`);
    assert.equal(Number(n), 2, "the member count moved once per contact");
  });

  test("one event matched by a workflow that adds and one that removes: both steps land, in workflow order", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Churn");
    // Lower id adds, higher id removes: one by one the contact would end outside, with both steps in its history.
    await buildWorkflow(t, a, { name: "In", trigger: "form_submit", actions: [{ kind: "add", segmentId: seg }] });
    const out = await buildWorkflow(t, a, { name: "Out", trigger: "form_submit", actions: [{ kind: "remove", segmentId: seg }] });
    const other = await createSegment(t, a.accountId, "Elsewhere");
    await buildWorkflow(t, a, { name: "Elsewhere", trigger: "page_view", actions: [{ kind: "add", segmentId: other }] });
    const events = [
      { id: eventId("churn"), type: "form_submit", email: "c@example.com", properties: { form: "x" } },
      { id: eventId("churn"), type: "page_view", email: "d@example.com", properties: { url: "https://shop.example/" } },
    ];
    assert.equal((await (await t.api(a.apiKey, "/events/batch", { json: { events } })).json()).accepted, 2);
    assert.deepEqual(await memberEmails(t, a.accountId, seg), []);
    assert.deepEqual(
      (await history(a.accountId, seg)).map((h) => `${h.action} ${h.source_label}`),
      ["added workflow In", "removed workflow Out"],
    );
    assert.equal((await workflowRow(t, a.accountId, out)).contactsRemoved, 1);
    assert.deepEqual(await memberEmails(t, a.accountId, other), ["d@example.com"], "the other segment's change ran too");
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select member_count::int as n from segments where account_id = ${a.accountId} and id = ${seg}`);
    assert.equal(Number(n), 0);
  });

  test("a group's changes are made by the one statement; only when it fails do they go one at a time, and the log says why", async (tc) => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Back and forth");
    // An add then a remove of the same pair: only the one statement writes both steps to history (one change at a
    // time applies the last step alone, which finds nothing to remove).
    await buildWorkflow(t, a, { name: "In", trigger: "form_submit", actions: [{ kind: "add", segmentId: seg }] });
    await buildWorkflow(t, a, { name: "Out", trigger: "form_submit", actions: [{ kind: "remove", segmentId: seg }] });
    const logged = tc.mock.method(console, "error", () => {});
    const fellBack = () => logged.mock.calls.filter((call) => String(call.arguments[0]).includes("fell back to one change at a time"));
    assert.equal((await send(a.apiKey, "form_submit", "once@example.com", { form: "x" })).status, 202);
    assert.deepEqual(
      (await history(a.accountId, seg)).map((h) => `${h.action} ${h.source_label}`),
      ["added workflow In", "removed workflow Out"],
    );
    assert.deepEqual(fellBack(), []);

    // Workflows read before their segment was deleted: the statement fails on the segment, and the fallback says so.
    const [flows] = await queryRows<{ workflows: string }>(
      t.db,
      sql`select coalesce(json_agg(f), '[]'::json)::text as workflows from (${activeWorkflowsSelect(a.accountId, sql`'form_submit'`)}) f`,
    );
    const [contact] = await queryRows<{ id: string }>(
      t.db,
      sql`select id from contacts where account_id = ${a.accountId} and lower(email) = 'once@example.com'`,
    );
    await t.db.execute(sql`delete from segments where account_id = ${a.accountId} and id = ${seg}`);
    await runWorkflows(
      t.db,
      a.accountId,
      [{ id: 0, type: "form_submit", contactId: Number(contact!.id), properties: {} }],
      parseActiveWorkflows(flows!.workflows),
    );
    assert.equal(fellBack().length, 1);
    assert.match(String(fellBack()[0]!.arguments[0]), new RegExp(`account ${a.accountId} fell back[^]*segment`));
  });

  test("in a batch, each contact's events act in the order they were sent, whatever the workflows' order", async () => {
    const a = await t.createAccount();
    const prospects = await createSegment(t, a.accountId, "Prospects");
    // The lower id removes on purchase, the higher one adds on a quote form.
    const buyers = await buildWorkflow(t, a, { name: "Buyers", trigger: "purchase", actions: [{ kind: "remove", segmentId: prospects }] });
    const quotes = await buildWorkflow(t, a, { name: "Quotes", trigger: "form_submit", actions: [{ kind: "add", segmentId: prospects }] });
    await send(a.apiKey, "form_submit", "was-in@example.com", { form: "quote" });
    await send(a.apiKey, "form_submit", "out-and-back@example.com", { form: "quote" });
    const purchase = (email: string) => ({ id: eventId("ord"), type: "purchase", email, properties: { order_id: eventId("o"), total: 5, currency: "EUR" } });
    const quote = (email: string) => ({ id: eventId("ord"), type: "form_submit", email, properties: { form: "quote" } });
    const events = [
      quote("was-in@example.com"), // already in: nothing; then the purchase takes them out
      purchase("was-in@example.com"),
      purchase("then-quote@example.com"), // not in: nothing to remove; then the quote puts them in
      quote("then-quote@example.com"),
      quote("in-and-out@example.com"), // in, then out again: both steps in history
      purchase("in-and-out@example.com"),
      purchase("out-and-back@example.com"), // already in: out, then back in; the row stays, history has both
      quote("out-and-back@example.com"),
    ];
    const [{ at: sentAt }] = await queryRows<{ at: string }>(t.db, sql`select now()::text as at`);
    assert.equal((await (await t.api(a.apiKey, "/events/batch", { json: { events } })).json()).accepted, 8);
    const [back] = await queryRows<{ fresh: boolean }>(
      t.db,
      sql`select m.added_at >= ${sentAt}::timestamptz as fresh from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id
          where m.account_id = ${a.accountId} and m.segment_id = ${prospects} and lower(c.email) = 'out-and-back@example.com'`,
    );
    assert.equal(back!.fresh, true, "put back in: a member again from now");
    assert.deepEqual(await memberEmails(t, a.accountId, prospects), ["out-and-back@example.com", "then-quote@example.com"]);
    const recorded = (await history(a.accountId, prospects)).map((h) => `${h.email} ${h.action} ${h.source_label}`);
    assert.deepEqual(
      recorded.slice(0, 2),
      ["was-in@example.com added workflow Quotes", "out-and-back@example.com added workflow Quotes"],
      "the single events before the batch",
    );
    const steps = recorded.slice(2);
    assert.deepEqual([...steps].sort(), [
      "in-and-out@example.com added workflow Quotes",
      "in-and-out@example.com removed workflow Buyers",
      "out-and-back@example.com added workflow Quotes",
      "out-and-back@example.com removed workflow Buyers",
      "then-quote@example.com added workflow Quotes",
      "was-in@example.com removed workflow Buyers",
    ]);
    assert.ok(
      steps.indexOf("in-and-out@example.com added workflow Quotes") < steps.indexOf("in-and-out@example.com removed workflow Buyers"),
      "a contact's steps are recorded in order",
    );
    assert.ok(
      steps.indexOf("out-and-back@example.com removed workflow Buyers") < steps.indexOf("out-and-back@example.com added workflow Quotes"),
      "a contact's steps are recorded in order",
    );
    const [b, q] = [await workflowRow(t, a.accountId, buyers), await workflowRow(t, a.accountId, quotes)];
    assert.deepEqual([b.eventsMatched, b.contactsRemoved, q.eventsMatched, q.contactsAdded], [4, 3, 6, 5]);
    const [{ n }] = await queryRows<{ n: number }>(
      t.db,
      sql`select member_count::int as n from segments where account_id = ${a.accountId} and id = ${prospects}`,
    );
    assert.equal(Number(n), 2);
  });

  test("member counts and history stay exact under concurrent batches adding and removing", async () => {
    const a = await t.createAccount();
    const hot = await createSegment(t, a.accountId, "Hot");
    const cold = await createSegment(t, a.accountId, "Cold");
    await buildWorkflow(t, a, {
      name: "Visitors",
      trigger: "page_view",
      actions: [
        { kind: "add", segmentId: hot },
        { kind: "add", segmentId: cold },
      ],
    });
    await buildWorkflow(t, a, { name: "Buyers", trigger: "purchase", actions: [{ kind: "remove", segmentId: hot }] });
    // Batches of only views (adds, one statement), only purchases (removes, one statement), and of both (a segment
    // added to and removed from: one change at a time), all at once on the same contacts.
    const batch = (n: number) =>
      Array.from({ length: 200 }, (_, i) => {
        const email = `u${(i * 7 + n * 13) % 60}@example.com`;
        return (n % 3 === 2 ? i % 3 === 0 : n % 3 === 0)
          ? { id: eventId(`cc${n}`), type: "purchase", email, properties: { order_id: `o${n}-${i}`, total: 5, currency: "EUR" } }
          : { id: eventId(`cc${n}`), type: "page_view", email, properties: { url: "https://shop.example/" } };
      });
    const responses = await Promise.all(Array.from({ length: 9 }, (_, n) => t.api(a.apiKey, "/events/batch", { json: { events: batch(n) } })));
    for (const r of responses) assert.equal(r.status, 200);
    for (const seg of [hot, cold]) {
      const [row] = await queryRows<{ counted: number; actual: number; net: number }>(
        t.db,
        sql`select (select member_count::int from segments where account_id = ${a.accountId} and id = ${seg}) as counted,
          (select count(*)::int from segment_members where account_id = ${a.accountId} and segment_id = ${seg}) as actual,
          (select (count(*) filter (where action = 'added') - count(*) filter (where action = 'removed'))::int
             from membership_events where account_id = ${a.accountId} and segment_id = ${seg}) as net`,
      );
      assert.equal(Number(row!.counted), Number(row!.actual), "the maintained count matches the members");
      assert.equal(Number(row!.net), Number(row!.actual), "history's adds minus removes match the members");
    }
    const errors = await queryRows<{ message: string }>(t.db, sql`select message from workflow_errors where account_id = ${a.accountId}`);
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
    );
  });

  test("a removal that waits for its segment sees the member the change it waited for added", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Raced");
    const out = await buildWorkflow(t, a, { name: "Out", trigger: "purchase", actions: [{ kind: "remove", segmentId: seg }] });
    assert.equal((await send(a.apiKey, "page_view", "raced@example.com", { url: "https://shop.example/" })).status, 202);
    // Another change holds the segment while it adds the contact...
    const holder = await t.database.sql.reserve();
    await holder`begin`;
    await holder`select id from segments where account_id = ${a.accountId} and id = ${seg} for no key update`;
    // ...the purchase's removal starts meanwhile and waits for the segment...
    const removal = send(a.apiKey, "purchase", "raced@example.com", { order_id: "o-race", total: 5, currency: "EUR" });
    await waitForLockWaiter(t.db, await backendPid(holder));
    await holder`insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
                 select ${a.accountId}, ${seg}, id, now(), 'manual', null, 'manual by a test' from contacts where account_id = ${a.accountId} and lower(email) = 'raced@example.com'`;
    await holder`update segments set member_count = member_count + 1, updated_at = now() where account_id = ${a.accountId} and id = ${seg}`;
    await holder`commit`;
    holder.release();
    // ...and when it runs, it finds the member and takes it out.
    assert.equal((await removal).status, 202);
    assert.deepEqual(await memberEmails(t, a.accountId, seg), []);
    assert.deepEqual(
      (await history(a.accountId, seg)).map((h) => `${h.action} ${h.source_label}`),
      ["removed workflow Out"],
    );
    assert.equal((await workflowRow(t, a.accountId, out)).contactsRemoved, 1);
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select member_count::int as n from segments where account_id = ${a.accountId} and id = ${seg}`);
    assert.equal(Number(n), 0);
  });

  test("a batch groups membership changes per workflow and segment", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Batch buyers");
    const id = await buildWorkflow(t, a, {
      name: "Batch buyers",
      trigger: "purchase",
      conditions: [{ path: "total", operator: "greater_than", value: "10" }],
      actions: [{ kind: "add", segmentId: seg }],
    });
    const events = Array.from({ length: 50 }, (_, i) => ({
      id: eventId("bb"),
      type: "purchase",
      email: `bb${i % 20}@example.com`,
      properties: { order_id: `o${i}`, total: i, currency: "EUR" },
    }));
    const res = await t.api(a.apiKey, "/events/batch", { json: { events } });
    assert.equal((await res.json()).accepted, 50);
    const row = await workflowRow(t, a.accountId, id);
    assert.equal(row.eventsMatched, 39);
    assert.equal(row.contactsAdded, 20);
    assert.equal((await memberEmails(t, a.accountId, seg)).length, 20);
  });
});

describe("recovery", () => {
  /** What a request leaves behind when it dies after storing its events: a page view and its evaluation row, two minutes old. */
  async function strandedPageView(accountId: number, email: string) {
    const [contact] = await queryRows<{ id: number }>(t.db, sql`insert into contacts (account_id, email) values (${accountId}, ${email}) returning id`);
    const [event] = await queryRows<{ id: number }>(
      t.db,
      sql`insert into events (account_id, external_id, type, contact_id, properties, occurred_at)
          values (${accountId}, ${`stranded-${email}`}, 'page_view', ${contact!.id}, '{"url": "https://shop.example/"}'::jsonb, now()) returning id`,
    );
    const [pending] = await queryRows<{ id: number }>(
      t.db,
      sql`insert into event_evaluations (account_id, event_ids, created_at) values (${accountId}, ${`{${event!.id}}`}::bigint[], now() - interval '2 minutes') returning id`,
    );
    return { contactId: Number(contact!.id), eventId: Number(event!.id), pendingId: Number(pending!.id) };
  }

  test("events stored but never run (the process stopped in between) are run by the worker's maintenance, once", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Recovered");
    const id = await buildWorkflow(t, a, { name: "Recover", trigger: "page_view", actions: [{ kind: "add", segmentId: seg }] });
    await strandedPageView(a.accountId, "lost@example.com");
    // Activated after the event was received: it must not act on it.
    const later = await createSegment(t, a.accountId, "Later");
    await buildWorkflow(t, a, { name: "Later", trigger: "page_view", actions: [{ kind: "add", segmentId: later }] });

    await runMaintenance(t.db);
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["lost@example.com"]);
    assert.deepEqual(
      (await history(a.accountId, seg)).map((h) => h.source_label),
      ["workflow Recover"],
    );
    assert.equal((await workflowRow(t, a.accountId, id)).eventsMatched, 1);
    assert.deepEqual(await memberEmails(t, a.accountId, later), [], "a workflow activated after the event does not act on it");
    const waiting = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from event_evaluations where account_id = ${a.accountId}`);
    assert.equal(Number(waiting[0]!.n), 0);
    await runMaintenance(t.db);
    assert.equal((await workflowRow(t, a.accountId, id)).eventsMatched, 1, "run once");
  });

  test("recovered events act in the order they were sent, which their evaluation row keeps, not in id order", async () => {
    const a = await t.createAccount();
    const prospects = await createSegment(t, a.accountId, "Prospects");
    await buildWorkflow(t, a, { name: "Buyers", trigger: "purchase", actions: [{ kind: "remove", segmentId: prospects }] });
    await buildWorkflow(t, a, { name: "Quotes", trigger: "form_submit", actions: [{ kind: "add", segmentId: prospects }] });
    const [contact] = await queryRows<{ id: number }>(
      t.db,
      sql`insert into contacts (account_id, email) values (${a.accountId}, 'order@example.com') returning id`,
    );
    const insert = async (externalId: string, type: string, properties: string) =>
      Number(
        (
          await queryRows<{ id: number }>(
            t.db,
            sql`insert into events (account_id, external_id, type, contact_id, properties, occurred_at)
                values (${a.accountId}, ${externalId}, ${type}, ${contact!.id}, ${properties}::jsonb, now()) returning id`,
          )
        )[0]!.id,
      );
    // Stored form first (lower id), but sent purchase first: the purchase finds nothing to remove, the form adds.
    const form = await insert("a-form", "form_submit", '{"form": "quote"}');
    const purchase = await insert("z-order", "purchase", '{"order_id": "o1", "total": 5, "currency": "EUR"}');
    await t.db.execute(
      sql`insert into event_evaluations (account_id, event_ids, created_at) values (${a.accountId}, ${`{${purchase},${form}}`}::bigint[], now() - interval '2 minutes')`,
    );
    await runMaintenance(t.db);
    assert.deepEqual(await memberEmails(t, a.accountId, prospects), ["order@example.com"]);
    assert.deepEqual(
      (await history(a.accountId, prospects)).map((h) => `${h.action} ${h.source_label}`),
      ["added workflow Quotes"],
    );
  });

  test("a request that stops after storing a batch leaves its events in the order sent, and recovery runs them so", async () => {
    const a = await t.createAccount();
    const prospects = await createSegment(t, a.accountId, "Prospects");
    await buildWorkflow(t, a, { name: "Buyers", trigger: "purchase", actions: [{ kind: "remove", segmentId: prospects }] });
    await buildWorkflow(t, a, { name: "Quotes", trigger: "form_submit", actions: [{ kind: "add", segmentId: prospects }] });
    await t.db.execute(sql`insert into contacts (account_id, email) values (${a.accountId}, 'stopped@example.com')`);
    // The process "stops" right after the statement that stores the events: their workflows never run.
    let stored = false;
    const stopping = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop === "$client") return undefined;
        // A transaction (a change made as one change set) fails too once stopped.
        if (prop === "transaction") {
          return async (...args: Parameters<Db["transaction"]>) => {
            if (stored) throw new Error("the process stopped");
            return target.transaction(...args);
          };
        }
        if (prop === "execute") {
          return async (query: Parameters<Db["execute"]>[0]) => {
            if (stored) throw new Error("the process stopped");
            const text = (target as unknown as { dialect: { sqlToQuery(q: unknown): { sql: string } } }).dialect.sqlToQuery(query).sql;
            const result = await target.execute(query);
            stored = text.includes("insert into events");
            return result;
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const event = (body: Record<string, unknown>) => {
      const checked = validateEvent({ email: "stopped@example.com", ...body });
      assert.ok(checked.ok);
      return checked.event as NormalizedEvent;
    };
    // Sent purchase first, but its sender id sorts last: stored (and numbered) after the form.
    const sent = [
      event({ id: eventId("z-order"), type: "purchase", properties: { order_id: "o1", total: 5, currency: "EUR" } }),
      event({ id: eventId("a-form"), type: "form_submit", properties: { form: "quote" } }),
    ];
    // Every later statement fails: the request records what it can (nothing) and its events stay waiting.
    await ingestEvents(stopping, a.accountId, sent);
    assert.deepEqual(await memberEmails(t, a.accountId, prospects), []);
    const [waiting] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from event_evaluations where account_id = ${a.accountId}`);
    assert.equal(Number(waiting!.n), 1);
    await t.db.execute(sql`update event_evaluations set created_at = now() - interval '2 minutes' where account_id = ${a.accountId}`);
    await runMaintenance(t.db);
    assert.deepEqual(await memberEmails(t, a.accountId, prospects), ["stopped@example.com"], "the purchase found nothing to remove, then the form added");
    assert.deepEqual(
      (await history(a.accountId, prospects)).map((h) => `${h.action} ${h.source_label}`),
      ["added workflow Quotes"],
    );
  });

  test("a request slowed past recovery's minute changes and records nothing once recovery has run its events", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Slow");
    const id = await buildWorkflow(t, a, { name: "Slow", trigger: "page_view", actions: [{ kind: "add", segmentId: seg }] });
    const stranded = await strandedPageView(a.accountId, "slow@example.com");
    await runMaintenance(t.db);
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["slow@example.com"]);
    // Recovery made a member leave meanwhile... then the slow request finally runs the same events.
    await t.db.execute(sql`delete from segment_members where account_id = ${a.accountId} and segment_id = ${seg}`);
    const [flows] = await queryRows<{ workflows: string }>(
      t.db,
      sql`select coalesce(json_agg(f), '[]'::json)::text as workflows from (${activeWorkflowsSelect(a.accountId, sql`'page_view'`)}) f`,
    );
    const events = [{ id: stranded.eventId, type: "page_view", contactId: stranded.contactId, properties: {} }];
    const runs = await runWorkflows(t.db, a.accountId, events, parseActiveWorkflows(flows!.workflows), stranded.pendingId);
    assert.deepEqual(runs, [], "the events were already run");
    assert.deepEqual(await memberEmails(t, a.accountId, seg), [], "nothing applied a second time");
    assert.equal((await workflowRow(t, a.accountId, id)).eventsMatched, 1, "counted once");
  });

  test("a request leaves nothing waiting, and a recent evaluation (still in flight) is left to its request", async () => {
    const a = await t.createAccount();
    const seg = await createSegment(t, a.accountId, "Now");
    await buildWorkflow(t, a, { name: "Now", trigger: "form_submit", actions: [{ kind: "add", segmentId: seg }] });
    await send(a.apiKey, "form_submit", "now@example.com", { form: "x" });
    assert.deepEqual(await memberEmails(t, a.accountId, seg), ["now@example.com"]);
    const count = async () =>
      Number((await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from event_evaluations where account_id = ${a.accountId}`))[0]!.n);
    assert.equal(await count(), 0);
    await t.db.execute(sql`insert into event_evaluations (account_id, event_ids) values (${a.accountId}, '{}'::bigint[])`);
    await runMaintenance(t.db);
    assert.equal(await count(), 1, "younger than a minute: its request may still be running it");
  });
});
