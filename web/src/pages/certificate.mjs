// One certificate: its fields, names, chain, renewal history,
// notifications and audit trail, and the actions the session allows.
import { html } from '../html.mjs';
import { api, messageOf, settle } from '../api.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useLiveRefresh } from '../live.mjs';
import { useState } from '../vendor/hooks.mjs';
import { ExpiryCell, OutcomeBadge, RenewalBadge, StatusBadge } from '../components/badges.mjs';
import { ActionResult, Empty, ErrorNotice, Loading } from '../components/notice.mjs';
import { ConfirmDialog } from '../components/dialog.mjs';
import { RevokeDialog } from '../components/revoke-dialog.mjs';
import { TableWrap } from '../components/table.mjs';
import { certificateState, formatDateTime, keyText, reasonLabel, relativeTime, shortId } from '../format.mjs';

const HISTORY_LIMIT = 10;

const path = (id) => `/v1/certificates/${encodeURIComponent(id)}`;

async function renewalHistory(cert) {
  const back = [];
  let at = cert;
  for (let i = 0; i < HISTORY_LIMIT && at.renews; i += 1) {
    const found = await settle(api.get(path(at.renews)));
    if (!found.ok) break;
    back.unshift(found.value);
    at = found.value;
  }
  const forward = [];
  at = cert;
  for (let i = 0; i < HISTORY_LIMIT && at.renewed_by; i += 1) {
    const found = await settle(api.get(path(at.renewed_by)));
    if (!found.ok) break;
    forward.push(found.value);
    at = found.value;
  }
  return { items: [...back, cert, ...forward], more: !!back.length && !!back[0].renews };
}

async function loadCertificate(id, can) {
  const cert = await api.get(path(id));
  const [history, notifications, audit] = await Promise.all([
    settle(renewalHistory(cert)),
    can['notification:read'] !== 'none' ? settle(api.get(`/v1/notifications?certificate_id=${encodeURIComponent(id)}&limit=50`)) : null,
    can['audit:read'] !== 'none' ? settle(api.get(`/v1/audit?object=${encodeURIComponent(id)}&limit=100`)) : null,
  ]);
  return { cert, history, notifications, audit };
}

function Field({ label, children }) {
  return html`<div class="field-row"><dt>${label}</dt><dd>${children ?? '—'}</dd></div>`;
}

function Details({ cert }) {
  const state = certificateState(cert);
  const r = cert.renewal || {};
  return html`<dl class="fields">
    <${Field} label="Common name">${cert.common_name || '—'}<//>
    <${Field} label="Status"><${StatusBadge} cert=${cert} />
      ${state === 'revoked' && html` <span>${formatDateTime(cert.revoked_at)} · ${reasonLabel(cert.revocation_reason)}</span>`}<//>
    <${Field} label="Serial"><span class="mono break">${cert.serial}</span><//>
    <${Field} label="Not before"><time datetime=${cert.not_before}>${formatDateTime(cert.not_before)}</time><//>
    <${Field} label="Not after"><${ExpiryCell} cert=${cert} /><//>
    <${Field} label="Key">${keyText(cert)}<//>
    <${Field} label="Profile">${cert.profile}<//>
    <${Field} label="CA">${cert.ca}<//>
    <${Field} label="Owner">${cert.service || '—'}<//>
    <${Field} label="Automatic renewal"><${RenewalBadge} cert=${cert} />
      ${r.next_attempt_at && html` <span class="hint">next attempt ${formatDateTime(r.next_attempt_at)}</span>`}
      ${r.error && html` <span class="form-error">${r.error.message || r.error.code}</span>`}<//>
    <${Field} label="Renewals before this one">${r.count ?? 0}<//>
    ${cert.not_after_use && html`<${Field} label="End of use">${formatDateTime(cert.not_after_use)}<//>`}
    <${Field} label="Issued">${formatDateTime(cert.created_at)}<//>
    <${Field} label="Request"><span class="mono">${cert.request_id || '—'}</span><//>
    <${Field} label="Certificate id"><span class="mono">${cert.id}</span><//>
  </dl>`;
}

const SAN_KINDS = [['dns', 'DNS names'], ['ip', 'IP addresses'], ['email', 'Email addresses'], ['uri', 'URIs']];

function Names({ sans }) {
  const kinds = SAN_KINDS.filter(([kind]) => sans && sans[kind] && sans[kind].length);
  if (kinds.length === 0) return html`<${Empty}>No subject alternative names.<//>`;
  return html`<dl class="fields">${kinds.map(([kind, label]) => html`<${Field} key=${kind} label=${label}>
    <ul class="names">${sans[kind].map((name) => html`<li class="mono">${name}</li>`)}</ul>
  <//>`)}</dl>`;
}

function Metadata({ metadata }) {
  const entries = Object.entries(metadata || {});
  if (entries.length === 0) return html`<${Empty}>No metadata.<//>`;
  return html`<dl class="fields">${entries.map(([key, value]) => html`<${Field} key=${key} label=${key}>
    ${typeof value === 'string' ? value : JSON.stringify(value)}<//>`)}</dl>`;
}

function Pem({ label, pem, open = false }) {
  return html`<details class="pem" open=${open}>
    <summary>${label}</summary>
    <pre class="mono" tabindex="0" aria-label=${label}>${pem}</pre>
  </details>`;
}

function History({ result, id }) {
  if (!result.ok) return html`<${ErrorNotice} error=${result.error} title="Renewal history" />`;
  const { items, more } = result.value;
  if (items.length === 1) return html`<${Empty}>This certificate neither renews nor was renewed by another.<//>`;
  return html`<ol class="history">
    ${more && html`<li class="hint">Earlier certificates not shown</li>`}
    ${items.map((c) => html`<li key=${c.id} class=${c.id === id ? 'history-current' : ''}>
      ${c.id === id
        ? html`<strong aria-current="true">${c.common_name || c.id} (this certificate)</strong>`
        : html`<a href=${`/ui/certificates/${c.id}`}>${c.common_name || c.id}</a>`}
      <span class="mono hint">${shortId(c.id)}</span>
      <${StatusBadge} cert=${c} />
      <span class="hint">${formatDateTime(c.not_before)} → ${formatDateTime(c.not_after)}</span>
    </li>`)}
  </ol>`;
}

function Notifications({ result }) {
  if (!result) return html`<${Empty}>Your roles do not include reading notifications.<//>`;
  if (!result.ok) return html`<${ErrorNotice} error=${result.error} title="Notifications" />`;
  const items = result.value.items || [];
  if (items.length === 0) return html`<${Empty}>No notification was sent about this certificate.<//>`;
  return html`<${TableWrap} label="Notifications"><table class="data-table compact">
    <thead><tr><th scope="col">Event</th><th scope="col">Notifier</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Reason</th><th scope="col">Updated</th></tr></thead>
    <tbody>${items.map((n) => html`<tr key=${n.id}>
      <td>${n.event_type}</td><td>${n.notifier}</td>
      <td><span class=${`badge delivery-${n.status}`}>${n.status.replace('_', ' ')}</span></td>
      <td class="num">${n.attempts}</td><td>${n.reason || '—'}</td>
      <td><time datetime=${n.updated_at} title=${formatDateTime(n.updated_at)}>${relativeTime(n.updated_at)}</time></td>
    </tr>`)}</tbody>
  </table><//>`;
}

function AuditTrail({ result }) {
  if (!result) return html`<${Empty}>Your roles do not include reading the audit log.<//>`;
  if (!result.ok) return html`<${ErrorNotice} error=${result.error} title="Audit trail" />`;
  const items = result.value.items || [];
  if (items.length === 0) return html`<${Empty}>No audit record names this certificate.<//>`;
  return html`<${TableWrap} label="Audit trail"><table class="data-table compact">
    <thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Principal</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
    <tbody>${items.map((r) => html`<tr key=${r.seq}>
      <td><time datetime=${r.time}>${formatDateTime(r.time)}</time></td>
      <td>${r.action}</td><td class="mono">${r.principal || '—'}</td>
      <td><${OutcomeBadge} outcome=${r.outcome} /></td>
      <td class="detail mono">${r.detail ? JSON.stringify(r.detail) : ''}</td>
    </tr>`)}</tbody>
  </table><//>`;
}

export function CertificatePage({ session, id }) {
  const can = session.user.can;
  const state = useLoad(() => loadCertificate(id, can), [id]);
  const cert = state.data && state.data.cert;
  usePage('certificate', cert ? cert.common_name || cert.id : 'Certificate');
  useLiveRefresh(state.reload, (message) => JSON.stringify(message).includes(id));
  const [dialog, setDialog] = useState(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState(null);
  const [result, setResult] = useState(null);

  const act = async (work) => {
    setBusy(true);
    setDialogError(null);
    try {
      const outcome = await work();
      setDialog(null);
      setResult(outcome);
      state.reload();
    } catch (err) {
      setDialogError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = (reason) => act(async () => {
    await api.post(`${path(id)}/revoke`, { reason });
    return { kind: 'success', text: `Revoked with reason “${reasonLabel(reason)}”.` };
  });
  const renew = () => act(async () => {
    const answer = await api.post(`${path(id)}/renew`, {});
    const newId = answer.id || answer.certificate_id;
    return {
      kind: 'success',
      text: answer.status === 'active'
        ? html`Renewed: <a href=${`/ui/certificates/${newId}`}>open the new certificate</a>.`
        : html`The renewal was accepted and runs in the background (${answer.status || 'pending'}); it will be <a href=${`/ui/certificates/${newId}`}>this certificate</a>.`,
    };
  });

  const status = cert && certificateState(cert);
  const mayRenew = cert && can['cert:renew'] !== 'none' && status !== 'revoked' && !cert.renewed_by && !(cert.renewal && cert.renewal.request_id);
  const mayRevoke = cert && can['cert:revoke'] !== 'none' && status !== 'revoked';
  const mayExport = cert && can['cert:export'] !== 'none';

  return html`<section class="page">
    <nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/ui/inventory">Inventory</a> <span aria-hidden="true">/</span> <span>${cert ? shortId(cert.id) : id}</span></nav>
    <div class="page-head">
      <h1 tabindex="-1">${cert ? cert.common_name || cert.id : 'Certificate'}</h1>
      ${cert && html`<div class="page-tools">
        ${mayRenew && html`<button type="button" class="button button-primary" data-testid="renew" onClick=${() => { setDialogError(null); setDialog('renew'); }}>Renew</button>`}
        ${mayRevoke && html`<button type="button" class="button button-danger" data-testid="revoke" onClick=${() => { setDialogError(null); setDialog('revoke'); }}>Revoke</button>`}
        ${mayExport && html`<a class="button" href=${`${path(id)}/bundle?format=pem`} download data-testid="download">Download PEM bundle</a>`}
      </div>`}
    </div>
    <${ActionResult} result=${result} onDismiss=${() => setResult(null)} />
    ${state.error && html`<${ErrorNotice} error=${state.error} title="The certificate could not be loaded" onRetry=${state.reload} />`}
    ${state.loading && !cert && html`<${Loading} />`}
    ${cert && html`
      <div class="grid-2">
        <section class="panel" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <${Details} cert=${cert} />
        </section>
        <div>
          <section class="panel" aria-labelledby="names-title">
            <h2 id="names-title">Subject alternative names</h2>
            <${Names} sans=${cert.sans} />
          </section>
          <section class="panel" aria-labelledby="meta-title">
            <h2 id="meta-title">Metadata</h2>
            <${Metadata} metadata=${cert.metadata} />
          </section>
          <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">Renewal history</h2>
            <${History} result=${state.data.history} id=${id} />
          </section>
        </div>
      </div>
      <section class="panel" aria-labelledby="pem-title">
        <h2 id="pem-title">Certificate and chain</h2>
        ${cert.certificate && html`<${Pem} label="Certificate (PEM)" pem=${cert.certificate} />`}
        ${(cert.chain || []).map((pem, i) => html`<${Pem} key=${i} label=${i === 0 ? 'Issuing CA (PEM)' : `Chain certificate ${i + 1} (PEM)`} pem=${pem} />`)}
      </section>
      <section class="panel" aria-labelledby="notifications-title">
        <h2 id="notifications-title">Notifications</h2>
        <${Notifications} result=${state.data.notifications} />
      </section>
      <section class="panel" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit trail</h2>
        <${AuditTrail} result=${state.data.audit} />
      </section>`}
    <${RevokeDialog} open=${dialog === 'revoke'} subject=${cert && (cert.common_name || cert.id)} busy=${busy} error=${dialogError}
      onCancel=${() => setDialog(null)} onConfirm=${revoke} />
    <${ConfirmDialog} open=${dialog === 'renew'} title="Renew certificate" confirmLabel="Renew" busy=${busy} error=${dialogError}
      onCancel=${() => setDialog(null)} onConfirm=${renew} testid="confirm-renew">
      <p>A new certificate with the same names, profile and key type replaces <strong>${cert && (cert.common_name || cert.id)}</strong>. The old one stays valid until it expires.</p>
    <//>
  </section>`;
}
