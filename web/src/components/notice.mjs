// Loading, error and empty states, and the status line of actions.
import { html } from '../html.mjs';
import { messageOf } from '../api.mjs';

export function Loading({ label = 'Loading…' }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

export function ErrorNotice({ error, title = 'Something went wrong', onRetry }) {
  if (!error) return null;
  return html`<div class="notice notice-error" role="alert">
    <p><strong>${title}:</strong> ${messageOf(error)}</p>
    ${onRetry && html`<button type="button" class="button button-small" onClick=${onRetry}>Try again</button>`}
  </div>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** Outcome of an action: { kind: 'success' | 'error' | 'info', text, items? }. */
export function ActionResult({ result, onDismiss }) {
  return html`<div class="action-result" role="status" aria-live="polite">
    ${result &&
    html`<div class=${`notice notice-${result.kind}`}>
      <p>${result.text}</p>
      ${result.items && result.items.length > 0 &&
      html`<ul class="compact-list">${result.items.map((item) => html`<li>${item}</li>`)}</ul>`}
      ${onDismiss && html`<button type="button" class="button button-small button-quiet" onClick=${onDismiss}>Dismiss</button>`}
    </div>`}
  </div>`;
}
