// The overview's number tiles; each links to the list of exactly those.
import { html } from '../html.mjs';

export function Tile({ testid, label, value, href, tone = 'neutral', hint }) {
  const attention = tone !== 'neutral' && Number(value) > 0;
  const body = html`
    <span class="tile-label">${label}</span>
    <span class="tile-value" data-testid="value">${value ?? '—'}</span>
    ${hint && html`<span class="tile-hint">${hint}</span>`}`;
  const cls = `tile${attention ? ` tile-${tone}` : ''}`;
  if (!href) return html`<div class=${cls} data-testid=${testid}>${body}</div>`;
  return html`<a class=${cls} href=${href} data-testid=${testid}>${body}</a>`;
}

export function TileGrid({ children }) {
  return html`<div class="tiles">${children}</div>`;
}
