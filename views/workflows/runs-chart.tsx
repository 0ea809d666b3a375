import type { WorkflowDay } from "../../src/workflows/daily-runs";
import { Legend, StackedBars, type Series } from "../components/charts";
import { formatCount } from "../components/format";

/** Events matched and contacts added or removed per day over the last 30 days, with a table of the numbers. */
export function WorkflowRunsChart({ days }: { days: WorkflowDay[] }) {
  const labels = days.map((d) => d.day);
  const matched: Series[] = [{ name: "Events matched", key: "matched", values: days.map((d) => d.matched) }];
  const added: Series[] = [{ name: "Contacts added", key: "added", values: days.map((d) => d.added) }];
  const removed: Series[] = [{ name: "Contacts removed", key: "removed", values: days.map((d) => d.removed) }];
  const total = (k: "matched" | "added" | "removed") => formatCount(days.reduce((n, d) => n + d[k], 0));
  const active = days.filter((d) => d.matched + d.added + d.removed > 0);
  return (
    <section class="workflow-chart" aria-labelledby="per-day-title">
      <h3 id="per-day-title">Per day, last 30 days (UTC)</h3>
      <p class="muted" data-testid="per-day-summary">
        {total("matched")} events matched; {total("added")} contacts added and {total("removed")} removed.
      </p>
      <h4 class="chart-title">Events matched</h4>
      <StackedBars
        labels={labels}
        up={matched}
        label={`Events matched per day over the last 30 days: ${total("matched")} in all. The numbers are in the table below.`}
      />
      <h4 class="chart-title">Contacts added and removed</h4>
      <StackedBars
        labels={labels}
        up={added}
        down={removed}
        label={`Contacts added (above the line) and removed (below) per day over the last 30 days: ${total("added")} added, ${total("removed")} removed. The numbers are in the table below.`}
      />
      <Legend series={[...matched, ...added, ...removed]} />
      <details class="chart-table">
        <summary>The numbers, as a table</summary>
        {active.length === 0 ? (
          <p class="muted">No runs in the last 30 days.</p>
        ) : (
          <div class="table-wrap">
            <table class="striped compact">
              <caption class="visually-hidden">Events matched and contacts added and removed per day (days without runs left out)</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" class="num">
                    Events matched
                  </th>
                  <th scope="col" class="num">
                    Added
                  </th>
                  <th scope="col" class="num">
                    Removed
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...active].reverse().map((d) => (
                  <tr>
                    <th scope="row">{d.day}</th>
                    <td class="num">{formatCount(d.matched)}</td>
                    <td class="num">{formatCount(d.added)}</td>
                    <td class="num">{formatCount(d.removed)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </section>
  );
}
