// A segment's size over time and its joins and leaves per period by source, read from the daily roll-up
// (segment_daily_changes) that every membership change keeps; periods are UTC days, ISO weeks or months.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { SOURCE_TYPES, type SourceType } from "../db/schema";

export const CHART_PERIODS = ["day", "week", "month"] as const;
export type ChartPeriod = (typeof CHART_PERIODS)[number];

/** How many periods a chart shows, ending with the current one. */
export const PERIODS_SHOWN: Record<ChartPeriod, number> = { day: 30, week: 26, month: 12 };

export function parseChartPeriod(value: string | undefined): ChartPeriod {
  return (CHART_PERIODS as readonly string[]).includes(value ?? "") ? (value as ChartPeriod) : "day";
}

export type BySource = Record<SourceType, number>;

export interface SizePeriod {
  /** First day of the period, YYYY-MM-DD (UTC). */
  start: string;
  /** Members at the end of the period (now, for the current one). */
  size: number;
  joins: BySource;
  leaves: BySource;
}

const zero = (): BySource => Object.fromEntries(SOURCE_TYPES.map((s) => [s, 0])) as BySource;

/** The first day of the period holding `day` (UTC). */
export function periodStart(day: Date, period: ChartPeriod): Date {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  if (period === "week") d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (period === "month") d.setUTCDate(1);
  return d;
}

/** The first days of the `count` periods ending with the one holding `today`, oldest first. */
export function periodStarts(today: Date, period: ChartPeriod, count: number): string[] {
  const last = periodStart(today, period);
  const starts: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const d = new Date(last);
    if (period === "day") d.setUTCDate(d.getUTCDate() - i);
    else if (period === "week") d.setUTCDate(d.getUTCDate() - 7 * i);
    else d.setUTCMonth(d.getUTCMonth() - i);
    starts.push(d.toISOString().slice(0, 10));
  }
  return starts;
}

/**
 * The segment's last periods: joins and leaves by source, and the size at each period's end, counted back from
 * the exact member count (size at the end of a period = members now - net change after it). Reads only the
 * roll-up rows of the periods shown: at most a few hundred, whatever the segment's size or history.
 */
export async function getSegmentSizeHistory(
  db: Db,
  accountId: number,
  segment: { id: number; memberCount: number },
  period: ChartPeriod,
  today = new Date(),
): Promise<SizePeriod[]> {
  const starts = periodStarts(today, period, PERIODS_SHOWN[period]);
  const rows = await queryRows<{ start: string; source_type: SourceType; joins: string; leaves: string }>(
    db,
    sql`select to_char(date_trunc(${period}, day::timestamp), 'YYYY-MM-DD') as start, source_type, sum(joins) as joins, sum(leaves) as leaves
      from segment_daily_changes
      where account_id = ${accountId} and segment_id = ${segment.id} and day >= ${starts[0]}::date
      group by 1, 2`,
    { prepared: true },
  );
  const periods = new Map(starts.map((start) => [start, { start, size: 0, joins: zero(), leaves: zero() } as SizePeriod]));
  for (const r of rows) {
    const p = periods.get(r.start);
    if (!p) continue; // a change dated after `today` (clocks apart): counted in the size, not drawn
    p.joins[r.source_type] += Number(r.joins);
    p.leaves[r.source_type] += Number(r.leaves);
  }
  const later = rows.filter((r) => !periods.has(r.start)).reduce((n, r) => n + Number(r.joins) - Number(r.leaves), 0);
  let size = segment.memberCount - later;
  const list = [...periods.values()];
  for (let i = list.length - 1; i >= 0; i--) {
    const p = list[i]!;
    p.size = size;
    size -= sum(p.joins) - sum(p.leaves);
  }
  return list;
}

export function sum(by: BySource): number {
  return SOURCE_TYPES.reduce((n, s) => n + by[s], 0);
}
