// Helpers for the events and workflows tests: segments inserted directly, workflows built through the editor's routes.
import assert from "node:assert/strict";
import { and, eq, sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { segmentsTable, workflowsTable } from "../../src/db/schema";
import type { TestAccount, TestApp } from "../support/app";

export async function createSegment(t: TestApp, accountId: number, name: string): Promise<number> {
  const [row] = await t.db.insert(segmentsTable).values({ accountId, name }).returning({ id: segmentsTable.id });
  return row!.id;
}

export interface WorkflowSpec {
  name: string;
  trigger: string;
  customType?: string;
  /** The segment of a segment_entered / segment_left trigger. */
  triggerSegmentId?: number;
  conditions?: { path: string; operator: string; value: string }[];
  actions: { kind: "add" | "remove"; segmentId: number }[];
  activate?: boolean;
}

/** Builds a workflow as the editor does (node by node, as htmx would post), saves it and activates it. */
export async function buildWorkflow(t: TestApp, acct: TestAccount, spec: WorkflowSpec): Promise<number> {
  const hx = { "HX-Request": "true" };
  const created = await t.browser(acct.adminCookie, "/workflows", { form: { name: spec.name } });
  assert.equal(created.status, 303, await created.clone().text());
  const id = Number(/\/workflows\/(\d+)/.exec(created.headers.get("location")!)![1]);
  const trig = await t.browser(acct.adminCookie, `/workflows/${id}/trigger`, {
    form: { trigger: spec.trigger, customType: spec.customType ?? "", ...(spec.triggerSegmentId ? { segmentId: String(spec.triggerSegmentId) } : {}) },
    headers: hx,
  });
  assert.equal(trig.status, 200, await trig.clone().text());
  for (const cond of spec.conditions ?? []) {
    await t.browser(acct.adminCookie, `/workflows/${id}/conditions`, { form: {}, headers: hx });
    const key = await lastKey(t, acct.accountId, id, "conditions");
    const res = await t.browser(acct.adminCookie, `/workflows/${id}/conditions/${key}`, { form: cond, headers: hx });
    assert.equal(res.status, 200, await res.clone().text());
  }
  for (const action of spec.actions) {
    await t.browser(acct.adminCookie, `/workflows/${id}/actions`, { form: {}, headers: hx });
    const key = await lastKey(t, acct.accountId, id, "actions");
    const res = await t.browser(acct.adminCookie, `/workflows/${id}/actions/${key}`, {
      form: { kind: action.kind, segmentId: String(action.segmentId) },
      headers: hx,
    });
    assert.equal(res.status, 200, await res.clone().text());
  }
  const saved = await t.browser(acct.adminCookie, `/workflows/${id}/save`, { form: {} });
  assert.equal(saved.status, 303, await saved.clone().text());
  if (spec.activate !== false) {
    const act = await t.browser(acct.adminCookie, `/workflows/${id}/activate`, { form: {} });
    assert.equal(act.status, 303);
  }
  return id;
}

async function lastKey(t: TestApp, accountId: number, id: number, list: "conditions" | "actions"): Promise<string> {
  const [row] = await t.db
    .select({ draft: workflowsTable.draft })
    .from(workflowsTable)
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)));
  return row!.draft[list].at(-1)!.key;
}

export async function memberEmails(t: TestApp, accountId: number, segmentId: number): Promise<string[]> {
  const rows = await queryRows<{ email: string }>(
    t.db,
    sql`select lower(c.email) as email from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id
        where m.account_id = ${accountId} and m.segment_id = ${segmentId} order by 1`,
  );
  return rows.map((r) => r.email);
}

/** The segment's stored member count equals the members there are; returns that number. */
export async function assertCountExact(t: TestApp, accountId: number, segmentId: number): Promise<number> {
  const [row] = await queryRows<{ stored: string; actual: string }>(
    t.db,
    sql`select s.member_count as stored, (select count(*) from segment_members m where m.account_id = s.account_id and m.segment_id = s.id) as actual
      from segments s where s.account_id = ${accountId} and s.id = ${segmentId}`,
  );
  assert.equal(Number(row!.stored), Number(row!.actual), "member_count equals count(*)");
  return Number(row!.actual);
}

/** Every contact's history in the segment ends where it is (`members`: emails now in it), and no entry repeats the one before. */
export async function assertHistoryEndsAsMembers(t: TestApp, accountId: number, segmentId: number, members: readonly string[]): Promise<void> {
  const history = await queryRows<{ email: string; actions: string[] }>(
    t.db,
    sql`select lower(c.email) as email, array_agg(e.action order by e.id) as actions from membership_events e
      join contacts c on c.account_id = e.account_id and c.id = e.contact_id
      where e.account_id = ${accountId} and e.segment_id = ${segmentId} group by c.email`,
  );
  for (const row of history) {
    assert.equal(row.actions.at(-1) === "added", members.includes(row.email), row.email);
    assert.ok(
      row.actions.every((action, i) => i === 0 || action !== row.actions[i - 1]),
      `${row.email}: ${row.actions.join(", ")}`,
    );
  }
}

export async function workflowRow(t: TestApp, accountId: number, id: number) {
  const [row] = await t.db
    .select()
    .from(workflowsTable)
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)));
  return row!;
}

let seq = 0;
export function eventId(prefix = "ev"): string {
  return `${prefix}-${Date.now().toString(36)}-${++seq}`;
}
