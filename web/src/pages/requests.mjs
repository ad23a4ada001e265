// Requests by status; approvers approve or reject those waiting for them.
import { html } from '../html.mjs';
import { api, messageOf, query } from '../api.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useLiveRefresh } from '../live.mjs';
import { useState } from '../vendor/hooks.mjs';
import { ActionResult, Empty, ErrorNotice, Loading } from '../components/notice.mjs';
import { ConfirmDialog } from '../components/dialog.mjs';
import { Pager, TableWrap, useCursorPager } from '../components/table.mjs';
import { formatDateTime, relativeTime, shortId } from '../format.mjs';

const TABS = [
  ['pending_approval', 'Awaiting approval'],
  ['pending', 'Pending'],
  ['waiting', 'Waiting'],
  ['failed', 'Failed'],
];

function Approval({ approval }) {
  if (!approval) return '—';
  const decisions = approval.decisions || [];
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  return html`<span>${approval.outcome || `${approvals}/${approval.min_approvals} approvals`}
    ${approval.expires_at && html`<br /><span class="hint">expires ${relativeTime(approval.expires_at)}</span>`}</span>`;
}

// What was asked: names and profile, or the certificates to revoke.
function Subject({ request }) {
  const subject = request.subject || {};
  if (request.operation === 'revoke') {
    const certificates = subject.certificates || [];
    return html`<span>${certificates.length === 1
      ? html`<a class="mono" href=${`/ui/certificates/${certificates[0].id}`} title=${certificates[0].id}>${shortId(certificates[0].id)}</a>`
      : `${certificates.length} certificates`}${subject.reason && html`<br /><span class="hint">${subject.reason}</span>`}</span>`;
  }
  const names = new Set([subject.common_name, ...Object.values(subject.sans || {}).flat()].filter(Boolean));
  const name = names.size ? [...names][0] : '—';
  const more = names.size - 1;
  return html`<span><span class="mono">${name}</span>${more > 0 && html` <span class="hint">+${more}</span>`}
    <br /><span class="hint">${subject.profile}${request.requested_by && ` · by ${request.requested_by}`}</span></span>`;
}

export function RequestsPage({ session, route }) {
  usePage('requests', 'Requests');
  const status = TABS.some(([value]) => value === route.params.get('status')) ? route.params.get('status') : TABS[0][0];
  const pager = useCursorPager(status);
  const state = useLoad(() => api.get(`/v1/requests${query({ status, limit: 50, cursor: pager.cursor })}`), [status, pager.cursor]);
  useLiveRefresh(state.reload, (message) => message.type.startsWith('request.') || message.type.startsWith('certificate.'));
  const mayApprove = session.user.can['request:approve'] !== 'none';
  const [dialog, setDialog] = useState(null); // { kind: 'approve'|'reject', request }
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState(null);
  const [result, setResult] = useState(null);

  const decide = async (form) => {
    const comment = String(form.get('comment') || '').trim();
    if (dialog.kind === 'reject' && !comment) {
      setDialogError('A rejection needs a comment that says why.');
      return;
    }
    setBusy(true);
    setDialogError(null);
    try {
      const answer = await api.post(`/v1/requests/${encodeURIComponent(dialog.request.request_id)}/${dialog.kind}`, { comment });
      setResult({ kind: 'success', text: `${dialog.kind === 'approve' ? 'Approved' : 'Rejected'} ${dialog.request.request_id}; it is now ${answer.status}.` });
      setDialog(null);
      state.reload();
    } catch (err) {
      setDialogError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const items = (state.data && state.data.items) || [];
  return html`<section class="page">
    <div class="page-head"><h1 tabindex="-1">Requests</h1></div>
    <nav class="tabs" aria-label="Request status">
      ${TABS.map(([value, label]) => html`<a href=${`/ui/requests?status=${value}`} class=${`tab${value === status ? ' tab-on' : ''}`}
        aria-current=${value === status ? 'page' : undefined} data-testid=${`tab-${value}`}>${label}</a>`)}
    </nav>
    <${ActionResult} result=${result} onDismiss=${() => setResult(null)} />
    ${state.error && html`<${ErrorNotice} error=${state.error} title="The requests could not be listed" onRetry=${state.reload} />`}
    ${state.loading && !state.data && html`<${Loading} />`}
    ${state.data && (items.length === 0
      ? html`<${Empty}>No request is ${TABS.find(([v]) => v === status)[1].toLowerCase()}.<//>`
      : html`<${TableWrap} label="Requests"><table class="data-table">
        <caption class="sr-only">Requests: ${TABS.find(([v]) => v === status)[1]}</caption>
        <thead><tr>
          <th scope="col">Request</th><th scope="col">Operation</th><th scope="col">Subject</th><th scope="col">Certificate</th><th scope="col">Step</th>
          <th scope="col" class="num">Attempts</th><th scope="col">Error</th><th scope="col">Approval</th>
          <th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th>
        </tr></thead>
        <tbody>${items.map((r) => html`<tr key=${r.request_id} data-testid="request-row" data-id=${r.request_id}>
          <th scope="row" class="mono" title=${r.request_id}>${shortId(r.request_id)}</th>
          <td>${r.operation}${r.external_ref && html`<br /><span class="hint">${r.external_ref.system} ${r.external_ref.number || r.external_ref.id}</span>`}</td>
          <td data-testid="request-subject"><${Subject} request=${r} /></td>
          <td>${r.certificate_id ? html`<a class="mono" href=${`/ui/certificates/${r.certificate_id}`} title=${r.certificate_id}>${shortId(r.certificate_id)}</a>` : '—'}</td>
          <td>${r.step || '—'}</td>
          <td class="num">${r.attempts ?? 0}</td>
          <td>${r.error ? html`<span class="form-error">${r.error.message || r.error.code}</span>` : '—'}</td>
          <td><${Approval} approval=${r.approval} /></td>
          <td><time datetime=${r.created_at} title=${formatDateTime(r.created_at)}>${relativeTime(r.created_at)}</time></td>
          <td class="actions">
            ${mayApprove && r.status === 'pending_approval' && html`
              <button type="button" class="button button-small button-primary" data-testid="approve"
                onClick=${() => { setDialogError(null); setDialog({ kind: 'approve', request: r }); }}>Approve<span class="sr-only"> ${r.request_id}</span></button>
              <button type="button" class="button button-small button-danger-quiet" data-testid="reject"
                onClick=${() => { setDialogError(null); setDialog({ kind: 'reject', request: r }); }}>Reject<span class="sr-only"> ${r.request_id}</span></button>`}
          </td>
        </tr>`)}</tbody>
      </table><//>
      <${Pager} pager=${pager} nextCursor=${state.data.next_cursor} />`)}
    <${ConfirmDialog} open=${!!dialog} title=${dialog && dialog.kind === 'reject' ? 'Reject request' : 'Approve request'}
      confirmLabel=${dialog && dialog.kind === 'reject' ? 'Reject' : 'Approve'} danger=${!!dialog && dialog.kind === 'reject'}
      busy=${busy} error=${dialogError} onCancel=${() => setDialog(null)} onConfirm=${decide}
      testid=${dialog && dialog.kind === 'reject' ? 'confirm-reject' : 'confirm-approve'}>
      <p>${dialog && dialog.kind === 'reject' ? 'Rejecting fails the request for good. ' : 'Your approval counts towards the approvals the profile needs. '}
        Request <span class="mono">${dialog && dialog.request.request_id}</span>${` (${dialog ? dialog.request.operation : ''}): `}
        ${dialog && html`<${Subject} request=${dialog.request} />`}</p>
      <div class="field">
        <label for="decision-comment">Comment${dialog && dialog.kind === 'reject' ? ' (required)' : ' (optional)'}</label>
        <textarea id="decision-comment" name="comment" rows="3" maxlength="4000" required=${!!dialog && dialog.kind === 'reject'}></textarea>
      </div>
    <//>
  </section>`;
}
