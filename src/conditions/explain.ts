// Why a contact matches (or not) a conditions document: each condition held or not, with the values that decided it.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { toDate } from "../contacts/queries";
import { valuesAtPath } from "../workflows/conditions";
import { describeNode, type DescribeNames } from "./describe";
import {
  groupItems,
  groupKind,
  isGroup,
  type ConditionGroup,
  type ConditionNode,
  type EventCondition,
  type FieldCondition,
  type SegmentCondition,
} from "./grammar";
import { eventFilterSql, nodeSql } from "./sql";

export interface MatchingEvent {
  id: number;
  type: string;
  occurredAt: Date;
  properties: Record<string, unknown>;
  /** "products.category: office furniture, chairs; total: 120" for the paths the condition looks at, else the first properties. */
  summary: string;
}

export type ExplainedNode =
  | { kind: "group"; path: string; group: "all" | "any"; held: boolean; items: ExplainedNode[] }
  | { kind: "field"; path: string; condition: FieldCondition; description: string; held: boolean; value: unknown }
  | {
      kind: "segment";
      path: string;
      condition: SegmentCondition;
      description: string;
      held: boolean;
      segmentName: string | null;
      member: boolean;
      joinedAt: Date | null;
    }
  | { kind: "event"; path: string; condition: EventCondition; description: string; held: boolean; count: number; events: MatchingEvent[] };

export type Explanation = Extract<ExplainedNode, { kind: "group" }>;

const EVENTS_SHOWN = 5;

type Leaf = { path: string; node: Exclude<ConditionNode, ConditionGroup> };

function leavesWithPaths(group: ConditionGroup, path: string): Leaf[] {
  const kind = groupKind(group);
  return groupItems(group).flatMap((n, i) => {
    const p = `${path ? `${path}.` : ""}${kind}[${i}]`;
    return isGroup(n) ? leavesWithPaths(n, p) : [{ path: p, node: n }];
  });
}

function fieldValueSql(field: string) {
  switch (field) {
    case "email":
      return sql`to_jsonb(c.email)`;
    case "email_domain":
      return sql`to_jsonb(split_part(lower(c.email), '@', 2))`;
    case "first_name":
      return sql`to_jsonb(c.first_name)`;
    case "last_name":
      return sql`to_jsonb(c.last_name)`;
    case "phone":
      return sql`to_jsonb(c.phone)`;
    case "created_at":
      return sql`to_jsonb(c.created_at)`;
    case "updated_at":
      return sql`to_jsonb(c.updated_at)`;
  }
  return sql`(c.custom -> ${field.slice(7)}::text)`;
}

export function summariseProperties(properties: unknown, paths: string[]): string {
  if (paths.length > 0) {
    return paths.map((p) => `${p}: ${valuesAtPath(properties, p).map(String).join(", ") || "(none)"}`).join("; ");
  }
  if (typeof properties !== "object" || properties === null) return "";
  const text = Object.entries(properties as Record<string, unknown>)
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join("; ");
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * Evaluates each condition for one contact (one statement for all of them) and collects what decided it: the
 * field's value, the segment membership and its join date, the matching events (the newest few) and their count.
 * Null when the contact is not in the account.
 */
export async function explainContact(
  db: Db,
  accountId: number,
  contactId: number,
  group: ConditionGroup,
  names: DescribeNames = {},
): Promise<Explanation | null> {
  const leaves = leavesWithPaths(group, "");
  const columns = leaves.flatMap((l, i) => {
    const held = sql`(${nodeSql(accountId, l.node)}) as ${sql.raw(`h${i}`)}`;
    return "field" in l.node ? [held, sql`${fieldValueSql(l.node.field)} as ${sql.raw(`v${i}`)}`] : [held];
  });
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql`select c.id${leaves.length ? sql`, ${sql.join(columns, sql`, `)}` : sql``} from contacts c where c.account_id = ${accountId} and c.id = ${contactId}`,
  );
  if (!row) return null;
  const explained = new Map<string, ExplainedNode>();
  for (const [i, { path, node }] of leaves.entries()) {
    const held = row[`h${i}`] === true;
    const description = describeNode(node, names);
    if ("field" in node) {
      explained.set(path, { kind: "field", path, condition: node, description, held, value: row[`v${i}`] ?? null });
    } else if ("segment" in node) {
      const [m] = await queryRows<{ name: string; added_at: unknown }>(
        db,
        sql`select s.name, m.added_at from segments s left join segment_members m on m.account_id = s.account_id and m.segment_id = s.id and m.contact_id = ${contactId}
          where s.account_id = ${accountId} and s.id = ${node.segment}`,
      );
      explained.set(path, {
        kind: "segment",
        path,
        condition: node,
        description,
        held,
        segmentName: m?.name ?? null,
        member: m?.added_at != null,
        joinedAt: m?.added_at != null ? toDate(m.added_at) : null,
      });
    } else {
      const filter = sql`${eventFilterSql(accountId, node)} and e.contact_id = ${contactId}`;
      const rows = await queryRows<{ id: string | number; type: string; occurred_at: unknown; properties: unknown; total: string | number }>(
        db,
        sql`select e.id, e.type, e.occurred_at, e.properties, count(*) over () as total from events e where ${filter} order by e.occurred_at desc, e.id desc limit ${EVENTS_SHOWN}`,
      );
      const paths = (node.where ?? []).map((w) => w.path);
      const events = rows.map((r) => {
        const properties = (typeof r.properties === "string" ? JSON.parse(r.properties) : r.properties) as Record<string, unknown>;
        return { id: Number(r.id), type: r.type, occurredAt: toDate(r.occurred_at), properties, summary: summariseProperties(properties, paths) };
      });
      explained.set(path, { kind: "event", path, condition: node, description, held, count: Number(rows[0]?.total ?? 0), events });
    }
  }
  const build = (g: ConditionGroup, path: string): Explanation => {
    const kind = groupKind(g);
    const items = groupItems(g).map((n, i): ExplainedNode => {
      const p = `${path ? `${path}.` : ""}${kind}[${i}]`;
      return isGroup(n) ? build(n, p) : explained.get(p)!;
    });
    const held = kind === "all" ? items.every((x) => x.held) : items.some((x) => x.held);
    return { kind: "group", path, group: kind, held, items };
  };
  return build(group, "");
}
