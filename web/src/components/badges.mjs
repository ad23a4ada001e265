// Small labels of state. Colour is never the only signal: each says its state in words.
import { html } from '../html.mjs';
import { certificateState, daysLeft, expiryBand, expiryText, formatDate, renewalState } from '../format.mjs';

export function StatusBadge({ cert, status }) {
  const state = status || certificateState(cert);
  return html`<span class=${`badge status-${state}`}>${state}</span>`;
}

export function ExpiryCell({ cert }) {
  const state = certificateState(cert);
  const days = daysLeft(cert.not_after);
  const band = state === 'revoked' ? 'band-none' : expiryBand(days, state === 'expired');
  return html`<span class="expiry">
    <time datetime=${cert.not_after} title=${cert.not_after}>${formatDate(cert.not_after)}</time>
    ${state !== 'revoked' && html`<span class=${`band ${band}`}>${expiryText(cert.not_after)}</span>`}
  </span>`;
}

export function RenewalBadge({ cert }) {
  const r = renewalState(cert);
  return html`<span class=${`renewal renewal-${r.kind}`} title=${r.detail || undefined}>${r.text}</span>`;
}

export function OutcomeBadge({ outcome }) {
  return html`<span class=${`badge outcome-${outcome}`}>${outcome}</span>`;
}

export function HealthBadge({ value }) {
  const ok = value === 'ok';
  return html`<span class=${`badge ${ok ? 'health-ok' : 'health-failing'}`}>${ok ? 'ok' : value || 'failing'}</span>`;
}
