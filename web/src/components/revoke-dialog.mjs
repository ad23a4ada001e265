// Asks for the reason of a revocation, then confirms it.
import { html } from '../html.mjs';
import { REVOCATION_REASONS } from '../format.mjs';
import { ConfirmDialog } from './dialog.mjs';

export function RevokeDialog({ open, subject, count = 1, busy, error, onConfirm, onCancel }) {
  const what = count > 1 ? `${count} certificates` : subject || 'this certificate';
  return html`<${ConfirmDialog} open=${open} title=${count > 1 ? `Revoke ${count} certificates` : 'Revoke certificate'}
      confirmLabel=${count > 1 ? `Revoke ${count}` : 'Revoke'} danger=${true} busy=${busy} error=${error}
      testid="confirm-revoke"
      onCancel=${onCancel} onConfirm=${(form) => onConfirm(form.get('reason') || 'unspecified')}>
    <p>Revoking <strong>${what}</strong> cannot be undone. Relying parties learn of it through the CRL and OCSP within about a second.</p>
    <div class="field">
      <label for="revoke-reason">Reason</label>
      <select id="revoke-reason" name="reason" data-testid="revoke-reason">
        ${REVOCATION_REASONS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select>
    </div>
  <//>`;
}
