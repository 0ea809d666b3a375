import type { Child } from "hono/jsx";
import { formatCount } from "./format";

// Charts drawn on the server as SVG: no client library, no inline style (colours come from classes in app.css).
// The drawing stretches to its box (preserveAspectRatio none), so its labels are HTML around it and stay legible
// at any width. Every chart has a name for screen readers and its numbers in a table next to it.

export interface Series {
  /** Legend text. */
  name: string;
  /** Colour class suffix: chart-<key>. */
  key: string;
  values: number[];
}

const BAR_SLOT = 10;
const HEIGHT = 100;

function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  const m = n / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** Axis labels stay short at any width: 950, 1.5k, 18k, 1.2M. */
function axisCount(n: number): string {
  if (n < 1000) return formatCount(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, "")}M`;
}

function totals(series: Series[], count: number): number[] {
  return Array.from({ length: count }, (_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
}

export function Legend({ series, note }: { series: Series[]; note?: string }) {
  return (
    <ul class="chart-legend">
      {series.map((s) => (
        <li>
          <span class={`chart-swatch chart-${s.key}`} aria-hidden="true"></span>
          {s.name}
        </li>
      ))}
      {note && <li class="muted">{note}</li>}
    </ul>
  );
}

/** The x axis under a chart: the first and the last period's label. */
function XAxis({ labels }: { labels: string[] }) {
  return (
    <div class="chart-x" aria-hidden="true">
      <span>{labels[0]}</span>
      <span>{labels[labels.length - 1]}</span>
    </div>
  );
}

/**
 * Stacked bars per period: `up` above the base line, `down` (if any) below it, e.g. joins and leaves by source.
 * `label` names the chart for screen readers (its numbers are in the table that goes with it).
 */
export function StackedBars({ labels, up, down = [], label }: { labels: string[]; up: Series[]; down?: Series[]; label: string }) {
  const n = labels.length;
  const upMax = niceMax(Math.max(0, ...totals(up, n)));
  const downMax = down.length > 0 ? niceMax(Math.max(0, ...totals(down, n))) : 0;
  const scale = HEIGHT / (upMax + downMax);
  const base = upMax * scale;
  const rects: Child[] = [];
  for (let i = 0; i < n; i++) {
    const x = i * BAR_SLOT + 1.5;
    let top = base;
    for (const s of up) {
      const h = (s.values[i] ?? 0) * scale;
      if (h > 0) rects.push(<rect class={`chart-${s.key}`} x={x} y={top - h} width={BAR_SLOT - 3} height={h} />);
      top -= h;
    }
    let bottom = base;
    for (const s of down) {
      const h = (s.values[i] ?? 0) * scale;
      if (h > 0) rects.push(<rect class={`chart-${s.key} chart-down`} x={x} y={bottom} width={BAR_SLOT - 3} height={h} />);
      bottom += h;
    }
  }
  return (
    <div class="chart">
      <div class="chart-plot">
        <div class="chart-y" aria-hidden="true">
          <span>{down.length > 0 ? `+${axisCount(upMax)}` : axisCount(upMax)}</span>
          <span>{down.length > 0 ? `−${axisCount(downMax)}` : "0"}</span>
        </div>
        <svg viewBox={`0 0 ${n * BAR_SLOT} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={label}>
          <line class="chart-base" x1={0} x2={n * BAR_SLOT} y1={base} y2={base} />
          {rects}
        </svg>
      </div>
      <XAxis labels={labels} />
    </div>
  );
}

/** A line with the area under it, e.g. members at the end of each period. */
export function AreaLine({ labels, values, label }: { labels: string[]; values: number[]; label: string }) {
  const n = values.length;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Room above and below, so a flat line sits in the middle and a small change still shows.
  const pad = Math.max(1, (hi - lo) * 0.1);
  const min = Math.max(0, lo - pad);
  const max = hi + pad;
  const x = (i: number) => i * BAR_SLOT + BAR_SLOT / 2;
  const y = (v: number) => HEIGHT - ((v - min) / (max - min)) * HEIGHT;
  const line = values.map((v, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(2)}`).join(" ");
  const area = `${line} L${x(n - 1).toFixed(1)},${HEIGHT} L${x(0).toFixed(1)},${HEIGHT} Z`;
  return (
    <div class="chart">
      <div class="chart-plot">
        <div class="chart-y" aria-hidden="true">
          <span>{axisCount(Math.round(max))}</span>
          <span>{axisCount(Math.round(min))}</span>
        </div>
        <svg viewBox={`0 0 ${n * BAR_SLOT} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={label}>
          <path class="chart-area" d={area} />
          <path class="chart-line" d={line} />
        </svg>
      </div>
      <XAxis labels={labels} />
    </div>
  );
}

/** One horizontal bar split into parts, e.g. an import's outcomes; parts of zero take no room. */
export function PartsBar({ parts, label }: { parts: { name: string; key: string; value: number }[]; label: string }) {
  const total = parts.reduce((n, p) => n + p.value, 0);
  let at = 0;
  return (
    <div class="chart parts-bar">
      <svg viewBox="0 0 1000 20" preserveAspectRatio="none" role="img" aria-label={label}>
        {total === 0 ? <rect class="chart-empty" x={0} y={0} width={1000} height={20} /> : null}
        {total > 0 &&
          parts.map((p) => {
            const w = (p.value / total) * 1000;
            const r = <rect class={`chart-${p.key}`} x={at} y={0} width={w} height={20} />;
            at += w;
            return p.value > 0 ? r : null;
          })}
      </svg>
      <ul class="chart-legend">
        {parts.map((p) => (
          <li>
            <span class={`chart-swatch chart-${p.key}`} aria-hidden="true"></span>
            {p.name}: {formatCount(p.value)}
          </li>
        ))}
      </ul>
    </div>
  );
}
