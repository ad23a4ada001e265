// The expiry timeline as a stacked bar chart, drawn as SVG with Preact
// elements (no chart library). The SVG is one image to assistive
// technology (role="img", a summary as its label); the numbers themselves
// are in a table, visible or visually hidden.
import { html } from '../html.mjs';
import { formatWeek } from '../format.mjs';

const MAX_SERIES = 8; // colours series-0 … series-7; beyond that, "other"

/** The series of a timeline, largest first, with "other" for the rest. */
export function seriesOf(weeks) {
  const totals = new Map();
  for (const week of weeks) for (const [key, n] of Object.entries(week.by || {})) totals.set(key, (totals.get(key) || 0) + n);
  const keys = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key]) => key);
  if (keys.length <= MAX_SERIES) return { keys, other: false };
  return { keys: keys.slice(0, MAX_SERIES - 1), other: true };
}

function valuesOf(week, series) {
  const by = week.by || {};
  const values = series.keys.map((key) => by[key] || 0);
  if (series.other) values.push(Object.entries(by).filter(([key]) => !series.keys.includes(key)).reduce((n, [, v]) => n + v, 0));
  return values;
}

function niceMax(n) {
  if (n <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

export function summarize(weeks, noun = 'certificates') {
  if (!weeks || weeks.length === 0) return 'No data.';
  const total = weeks.reduce((n, w) => n + (w.total || 0), 0);
  const peak = weeks.reduce((best, w) => ((w.total || 0) > (best.total || 0) ? w : best), weeks[0]);
  const span = `the next ${weeks.length} weeks`;
  if (total === 0) return `No ${noun} expire in ${span}.`;
  return `${total} ${noun} expire in ${span}; the busiest week starts ${formatWeek(peak.week_start)} with ${peak.total}.`;
}

export function StackedBars({ weeks, width = 800, height = 220, label, compact = false }) {
  const series = seriesOf(weeks);
  const names = series.other ? [...series.keys, 'other'] : series.keys;
  const pad = { top: 12, right: 12, bottom: 28, left: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...weeks.map((w) => w.total || 0)));
  const slot = plotW / Math.max(1, weeks.length);
  const barW = Math.max(2, slot * 0.7);
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const labelEvery = Math.max(1, Math.ceil(weeks.length / (compact ? 6 : 13)));

  return html`<figure class=${`chart${compact ? ' chart-compact' : ''}`}>
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${label || summarize(weeks)}
        class="chart-svg" focusable="false">
      ${ticks.map((t) => html`<g key=${`t${t}`} class="chart-grid">
        <line x1=${pad.left} x2=${width - pad.right} y1=${y(t)} y2=${y(t)} />
        <text x=${pad.left - 6} y=${y(t) + 4} text-anchor="end" class="chart-axis">${Number.isInteger(t) ? t : t.toFixed(1)}</text>
      </g>`)}
      ${weeks.map((week, i) => {
        const x = pad.left + i * slot + (slot - barW) / 2;
        let top = y(0);
        const values = valuesOf(week, series);
        return html`<g key=${week.week_start} class="chart-bar">
          ${values.map((v, k) => {
            if (!v) return null;
            const h = (v / max) * plotH;
            top -= h;
            return html`<rect key=${names[k]} x=${x} y=${top} width=${barW} height=${Math.max(h, 0.5)} class=${`series-${k}`}>
              <title>${`Week of ${formatWeek(week.week_start)}: ${v} ${names[k]}`}</title>
            </rect>`;
          })}
          ${i % labelEvery === 0 && html`<text x=${x + barW / 2} y=${height - 8} text-anchor="middle" class="chart-axis">${formatWeek(week.week_start)}</text>`}
        </g>`;
      })}
      <line x1=${pad.left} x2=${width - pad.right} y1=${y(0)} y2=${y(0)} class="chart-baseline" />
    </svg>
    ${names.length > 0 && html`<figcaption class="legend">
      <span class="sr-only">Legend:</span>
      <ul>
        ${names.map((name, k) => html`<li key=${name}><span class=${`swatch series-${k}`} aria-hidden="true"></span>${name}</li>`)}
      </ul>
    </figcaption>`}
  </figure>`;
}

/** The chart's numbers as a table (className "sr-only" to hide it visually). */
export function TimelineTable({ weeks, caption, className = '' }) {
  const series = seriesOf(weeks);
  const names = series.other ? [...series.keys, 'other'] : series.keys;
  return html`<table class=${`data-table ${className}`}>
    <caption>${caption}</caption>
    <thead><tr>
      <th scope="col">Week starting</th>
      ${names.map((name) => html`<th scope="col" class="num" key=${name}>${name}</th>`)}
      <th scope="col" class="num">Total</th>
    </tr></thead>
    <tbody>
      ${weeks.map((week) => {
        const values = valuesOf(week, series);
        return html`<tr key=${week.week_start}>
          <th scope="row"><time datetime=${week.week_start}>${formatWeek(week.week_start)}</time></th>
          ${values.map((v, k) => html`<td class="num" key=${names[k]}>${v}</td>`)}
          <td class="num">${week.total || 0}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}
