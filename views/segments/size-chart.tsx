import { SOURCE_TYPES, type SourceType } from "../../src/db/schema";
import { CHART_PERIODS, sum, type BySource, type ChartPeriod, type SizePeriod } from "../../src/segments/size-history";
import { AreaLine, Legend, StackedBars, type Series } from "../components/charts";
import { formatCount } from "../components/format";

const SOURCE_NAMES: Record<SourceType, string> = { user: "By hand", import: "Import", workflow: "Workflow", api_key: "API", conditions: "By conditions" };
const PERIOD_NAMES: Record<ChartPeriod, string> = { day: "Day", week: "Week", month: "Month" };
const PERIOD_SPANS: Record<ChartPeriod, string> = { day: "the last 30 days", week: "the last 26 weeks", month: "the last 12 months" };

function periodLabel(start: string, period: ChartPeriod): string {
  if (period === "month") return start.slice(0, 7);
  if (period === "week") return `week of ${start}`;
  return start;
}

/** "12 (import 10, by hand 2)": a period's total and, when it has any, where it came from. */
function bySource(by: BySource): string {
  const total = sum(by);
  if (total === 0) return "0";
  const parts = SOURCE_TYPES.filter((s) => by[s] > 0).map((s) => `${SOURCE_NAMES[s].toLowerCase()} ${formatCount(by[s])}`);
  return `${formatCount(total)} (${parts.join(", ")})`;
}

/** The segment's size over time and its joins and leaves by source, per day, week or month, with a table of the numbers. */
export function SegmentSizeChart({ segmentId, period, periods }: { segmentId: number; period: ChartPeriod; periods: SizePeriod[] }) {
  const labels = periods.map((p) => periodLabel(p.start, period));
  const series = (which: "joins" | "leaves"): Series[] => SOURCE_TYPES.map((s) => ({ name: SOURCE_NAMES[s], key: s, values: periods.map((p) => p[which][s]) }));
  const first = periods[0]!;
  const last = periods[periods.length - 1]!;
  const startSize = first.size - sum(first.joins) + sum(first.leaves);
  const joined = periods.reduce((n, p) => n + sum(p.joins), 0);
  const left = periods.reduce((n, p) => n + sum(p.leaves), 0);
  return (
    <section id="size" class="segment-chart" aria-labelledby="size-title">
      <div class="chart-head">
        <h2 id="size-title">Size over time</h2>
        <nav aria-label="Chart period">
          <ul class="chart-periods">
            {CHART_PERIODS.map((p) => (
              <li>
                <a href={`/segments/${segmentId}?period=${p}#size`} aria-current={p === period ? "page" : undefined}>
                  {PERIOD_NAMES[p]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </div>
      <p class="muted" data-testid="size-summary">
        Over {PERIOD_SPANS[period]} (UTC): from {formatCount(startSize)} to {formatCount(last.size)} members; {formatCount(joined)} joined, {formatCount(left)}{" "}
        left.
      </p>
      <h3 class="chart-title">Members at the end of each {period}</h3>
      <AreaLine
        labels={labels}
        values={periods.map((p) => p.size)}
        label={`Members per ${period} over ${PERIOD_SPANS[period]}, from ${formatCount(startSize)} to ${formatCount(last.size)}. The numbers are in the table below.`}
      />
      <h3 class="chart-title">Joins and leaves per {period}</h3>
      <StackedBars
        labels={labels}
        up={series("joins")}
        down={series("leaves")}
        label={`Joins above the line and leaves below it, per ${period} and by source: ${formatCount(joined)} joined and ${formatCount(left)} left over ${PERIOD_SPANS[period]}. The numbers are in the table below.`}
      />
      <Legend series={series("joins")} note="Joins above the line, leaves below." />
      <details class="chart-table">
        <summary>The numbers, as a table</summary>
        <div class="table-wrap">
          <table class="striped compact">
            <caption class="visually-hidden">Members, joins and leaves per {period}</caption>
            <thead>
              <tr>
                <th scope="col">{PERIOD_NAMES[period]}</th>
                <th scope="col" class="num">
                  Members at the end
                </th>
                <th scope="col">Joined</th>
                <th scope="col">Left</th>
              </tr>
            </thead>
            <tbody>
              {[...periods].reverse().map((p) => (
                <tr>
                  <th scope="row">{periodLabel(p.start, period)}</th>
                  <td class="num">{formatCount(p.size)}</td>
                  <td>{bySource(p.joins)}</td>
                  <td>{bySource(p.leaves)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}
