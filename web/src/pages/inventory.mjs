// The certificate inventory: filters in the URL (a saved view is a link),
// natural-language search turned into explicit filters, server-side sort
// and paging, and per-row and bulk renew/revoke as the session allows.
import { html } from '../html.mjs';
import { api, messageOf } from '../api.mjs';
import { navigate } from '../router.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useLiveRefresh } from '../live.mjs';
import { useState } from '../vendor/hooks.mjs';
import { SearchBox } from '../components/search.mjs';
import { ChipList } from '../components/chips.mjs';
import { Pager, SortHeader, TableWrap, useCursorPager } from '../components/table.mjs';
import { ExpiryCell, RenewalBadge, StatusBadge } from '../components/badges.mjs';
import { ActionResult, Empty, ErrorNotice, Loading } from '../components/notice.mjs';
import { ConfirmDialog } from '../components/dialog.mjs';
import { RevokeDialog } from '../components/revoke-dialog.mjs';
import { certificateState, formatDate, keyText, plural, sanCount, shortId, shortSerial } from '../format.mjs';

const PAGE_SIZE = 50;
const CONTROL = new Set(['sort', 'order', 'limit', 'cursor']);
const DEFAULT_ORDER = { created_at: 'desc', not_after: 'asc', common_name: 'asc' };

function filtersOf(params) {
  return [...params.entries()].filter(([field, value]) => !CONTROL.has(field) && value !== '').map(([field, value]) => ({ field, value }));
}

function go(params) {
  params.delete('cursor');
  const text = params.toString();
  navigate(`/ui/inventory${text ? `?${text}` : ''}`);
}

/** The chips of a search become explicit parameters; text chips join into one `text`. */
export function applyChips(current, chips) {
  const params = new URLSearchParams(current);
  const words = chips.filter((c) => c.field === 'text').map((c) => String(c.value));
  for (const chip of chips) if (chip.field !== 'text') params.set(chip.field, String(chip.value));
  if (words.length) params.set('text', [params.get('text'), ...words].filter(Boolean).join(' '));
  return params;
}

function canRenew(cert) {
  const state = certificateState(cert);
  return state !== 'revoked' && !cert.renewed_by && !(cert.renewal && cert.renewal.request_id);
}

function canRevoke(cert) {
  return certificateState(cert) !== 'revoked';
}

async function renewOne(cert) {
  const answer = await api.post(`/v1/certificates/${encodeURIComponent(cert.id)}/renew`, {});
  const newId = answer.id || answer.certificate_id;
  return answer.status === 'active'
    ? html`Renewed ${cert.common_name || cert.id}: <a href=${`/ui/certificates/${newId}`}>new certificate</a>`
    : html`Renewal of ${cert.common_name || cert.id} started (${answer.status || 'pending'}).`;
}

async function revokeOne(cert, reason) {
  await api.post(`/v1/certificates/${encodeURIComponent(cert.id)}/revoke`, { reason });
  return `Revoked ${cert.common_name || cert.id}.`;
}

/** Runs fn for each certificate, one after the other; a summary for ActionResult. */
async function runAll(certs, fn, verb) {
  const done = [];
  const failed = [];
  for (const cert of certs) {
    try {
      done.push(await fn(cert));
    } catch (err) {
      failed.push(`${cert.common_name || cert.id}: ${messageOf(err)}`);
    }
  }
  if (failed.length === 0) return { kind: 'success', text: certs.length === 1 ? done[0] : `${verb} ${plural(done.length, 'certificate')}.` };
  return {
    kind: 'error',
    text: `${verb} ${plural(done.length, 'certificate')}; ${failed.length} failed.`,
    items: failed,
  };
}

function QuickFilters({ params }) {
  const set = (field) => (event) => {
    const next = new URLSearchParams(params);
    if (event.currentTarget.value) next.set(field, event.currentTarget.value);
    else next.delete(field);
    go(next);
  };
  const select = (id, field, label, options) => html`<div class="field field-inline">
    <label for=${id}>${label}</label>
    <select id=${id} value=${params.get(field) || ''} onChange=${set(field)} data-testid=${`filter-${field}`}>
      ${options.map(([value, text]) => html`<option value=${value}>${text}</option>`)}
    </select>
  </div>`;
  return html`<div class="quick-filters">
    ${select('filter-status', 'status', 'Status', [['', 'Any'], ['active', 'Active'], ['expired', 'Expired'], ['revoked', 'Revoked'], ['superseded', 'Superseded']])}
    ${select('filter-expiring', 'expiring_within_days', 'Expiring within', [['', 'Any time'], ['7', '7 days'], ['30', '30 days'], ['90', '90 days']])}
    ${select('filter-key', 'key_type', 'Key type', [['', 'Any'], ['rsa', 'RSA'], ['ecdsa', 'ECDSA'], ['ed25519', 'Ed25519']])}
    ${select('filter-renewal', 'renewal', 'Renewal', [['', 'Any'], ['not_renewed', 'Not renewed'], ['renewed', 'Renewed']])}
  </div>`;
}

function Row({ cert, tenant, selected, onSelect, actions, perms }) {
  const extra = sanCount(cert);
  const state = certificateState(cert);
  const name = cert.common_name || cert.id;
  return html`<tr data-testid="row" data-id=${cert.id} data-status=${state} data-key-type=${cert.key_type || ''} class=${selected ? 'selected' : ''}>
    ${perms.select && html`<td class="select-cell">
      <input type="checkbox" checked=${selected} onChange=${(e) => onSelect(cert.id, e.currentTarget.checked)}
        aria-label=${`Select ${name}`} data-testid="row-select" />
    </td>`}
    <th scope="row" class="cn">
      <a href=${`/ui/certificates/${cert.id}`}>${name}</a>
      ${extra > 0 && html` <span class="san-count" title=${`${extra} more names`}>+${extra}</span>`}
    </th>
    <td>${tenant}</td>
    <td>${cert.ca || '—'}</td>
    <td>${cert.profile || '—'}</td>
    <td><span class="mono" title=${cert.serial}>${shortSerial(cert.serial)}</span></td>
    <td><${ExpiryCell} cert=${cert} /></td>
    <td><${StatusBadge} cert=${cert} /></td>
    <td>${keyText(cert)}</td>
    <td>${cert.service || '—'}</td>
    <td><${RenewalBadge} cert=${cert} /></td>
    <td>${cert.renewed_by ? html`<a href=${`/ui/certificates/${cert.renewed_by}`} class="mono" title=${cert.renewed_by}>${shortId(cert.renewed_by)}</a>` : '—'}</td>
    <td><time datetime=${cert.created_at}>${formatDate(cert.created_at)}</time></td>
    <td class="actions">
      ${perms.renew && canRenew(cert) && html`<button type="button" class="button button-small" data-testid="renew" onClick=${() => actions.renew([cert])}>
        Renew<span class="sr-only"> ${name}</span></button>`}
      ${perms.revoke && canRevoke(cert) && html`<button type="button" class="button button-small button-danger-quiet" data-testid="revoke" onClick=${() => actions.revoke([cert])}>
        Revoke<span class="sr-only"> ${name}</span></button>`}
      ${perms.export && state !== 'revoked' && html`<a class="button button-small button-quiet" href=${`/v1/certificates/${cert.id}/bundle?format=pem`} download data-testid="download">
        PEM<span class="sr-only"> bundle of ${name}</span></a>`}
    </td>
  </tr>`;
}

export function InventoryPage({ session, route }) {
  usePage('inventory', 'Inventory');
  const can = session.user.can;
  const perms = {
    renew: can['cert:renew'] !== 'none',
    revoke: can['cert:revoke'] !== 'none',
    export: can['cert:export'] !== 'none',
  };
  perms.select = perms.renew || perms.revoke;

  const params = new URLSearchParams(route.search);
  const sort = params.get('sort') || 'created_at';
  const order = params.get('order') || DEFAULT_ORDER[sort] || 'desc';
  const filterKey = (() => {
    const p = new URLSearchParams(params);
    p.delete('cursor');
    return p.toString();
  })();
  const pager = useCursorPager(filterKey);
  const [selection, setSelection] = useState({ key: filterKey, ids: new Set() });
  const selected = selection.key === filterKey ? selection.ids : new Set();
  const [dialog, setDialog] = useState(null); // { kind: 'revoke'|'renew', certs }
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState(null);
  const [result, setResult] = useState(null);
  const [copied, setCopied] = useState('');

  const state = useLoad(() => {
    const p = new URLSearchParams(filterKey);
    if (!p.has('limit')) p.set('limit', String(PAGE_SIZE));
    if (pager.cursor) p.set('cursor', pager.cursor);
    return api.get(`/v1/certificates?${p}`);
  }, [filterKey, pager.cursor]);
  useLiveRefresh(state.reload);

  const items = (state.data && state.data.items) || [];
  const filters = filtersOf(params);
  const tenant = params.get('tenant') || session.user.tenant;

  const onSort = (field) => {
    const next = new URLSearchParams(params);
    next.set('sort', field);
    next.set('order', sort === field ? (order === 'asc' ? 'desc' : 'asc') : DEFAULT_ORDER[field]);
    go(next);
  };
  const removeFilter = (field) => {
    const next = new URLSearchParams(params);
    next.delete(field);
    go(next);
  };
  const onSelect = (id, on) => {
    const ids = new Set(selected);
    if (on) ids.add(id);
    else ids.delete(id);
    setSelection({ key: filterKey, ids });
  };
  const allSelected = items.length > 0 && items.every((c) => selected.has(c.id));
  const selectAll = (on) => setSelection({ key: filterKey, ids: on ? new Set(items.map((c) => c.id)) : new Set() });
  const selectedCerts = items.filter((c) => selected.has(c.id));

  const actions = {
    renew: (certs) => {
      setDialogError(null);
      setDialog({ kind: 'renew', certs });
    },
    revoke: (certs) => {
      setDialogError(null);
      setDialog({ kind: 'revoke', certs });
    },
  };
  const finish = async (work) => {
    setBusy(true);
    setDialogError(null);
    const outcome = await work();
    setBusy(false);
    if (dialog.certs.length === 1 && outcome.kind === 'error') {
      setDialogError(outcome.items[0]);
      return;
    }
    setDialog(null);
    setResult(outcome);
    setSelection({ key: filterKey, ids: new Set() });
    state.reload();
  };
  const confirmRevoke = (reason) => finish(() => runAll(dialog.certs.filter(canRevoke), (c) => revokeOne(c, reason), 'Revoked'));
  const confirmRenew = () => finish(() => runAll(dialog.certs.filter(canRenew), renewOne, 'Renewed'));

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setCopied('Link copied.');
    } catch {
      setCopied(`Copy this link: ${location.href}`);
    }
  };
  const exportParams = new URLSearchParams(filterKey);
  exportParams.delete('limit');
  const exportHref = `/v1/certificates/export.csv${exportParams.toString() ? `?${exportParams}` : ''}`;

  return html`<section class="page">
    <div class="page-head">
      <h1 tabindex="-1">Inventory</h1>
      <div class="page-tools">
        <button type="button" class="button" onClick=${copyLink} data-testid="copy-link">Copy link</button>
        <a class="button" href=${exportHref} download="certificates.csv" data-testid="export-csv">Export CSV</a>
      </div>
    </div>
    <p class="sr-only" role="status">${copied}</p>
    ${copied && html`<p class="hint" aria-hidden="true">${copied}</p>`}
    <${SearchBox} onApply=${(chips) => go(applyChips(params, chips))} />
    <div class="filter-bar">
      <${QuickFilters} params=${params} />
      ${filters.length > 0 && html`<div class="active-filters">
        <span class="hint" id="active-filters-label">Filters:</span>
        <${ChipList} chips=${filters} onRemove=${removeFilter} label="Active filters" />
        <button type="button" class="button button-small button-quiet" onClick=${() => navigate('/ui/inventory')}>Clear all</button>
      </div>`}
    </div>
    <${ActionResult} result=${result} onDismiss=${() => setResult(null)} />
    ${perms.select && html`<div class="bulk-bar" aria-label="Bulk actions" role="group">
      <span class="hint">${selected.size ? `${plural(selected.size, 'certificate')} selected` : 'Select rows for bulk actions'}</span>
      ${perms.renew && html`<button type="button" class="button" data-testid="bulk-renew" disabled=${selectedCerts.length === 0}
        onClick=${() => actions.renew(selectedCerts)}>Renew selected</button>`}
      ${perms.revoke && html`<button type="button" class="button button-danger-quiet" data-testid="bulk-revoke" disabled=${selectedCerts.length === 0}
        onClick=${() => actions.revoke(selectedCerts)}>Revoke selected</button>`}
    </div>`}
    ${state.error && html`<${ErrorNotice} error=${state.error} title="The certificates could not be listed" onRetry=${state.reload} />`}
    ${state.loading && !state.data && html`<${Loading} />`}
    ${state.data && html`<${TableWrap} label="Certificates">
      <table class="data-table inventory" aria-busy=${state.loading ? 'true' : 'false'}>
        <caption class="sr-only">Certificates${filters.length ? ', filtered' : ''}, sorted by ${sort.replace('_', ' ')} ${order === 'asc' ? 'ascending' : 'descending'}</caption>
        <thead><tr>
          ${perms.select && html`<th scope="col" class="select-cell">
            <input type="checkbox" checked=${allSelected} onChange=${(e) => selectAll(e.currentTarget.checked)}
              aria-label="Select all certificates on this page" data-testid="select-all" />
          </th>`}
          <${SortHeader} field="common_name" label="Common name" sort=${sort} order=${order} onSort=${onSort} />
          <th scope="col">Tenant</th>
          <th scope="col">CA</th>
          <th scope="col">Profile</th>
          <th scope="col">Serial</th>
          <${SortHeader} field="not_after" label="Not after" sort=${sort} order=${order} onSort=${onSort} />
          <th scope="col">Status</th>
          <th scope="col">Key</th>
          <th scope="col">Owner</th>
          <th scope="col">Renewal</th>
          <th scope="col">Replaced by</th>
          <${SortHeader} field="created_at" label="Issued" sort=${sort} order=${order} onSort=${onSort} />
          <th scope="col"><span class="sr-only">Actions</span></th>
        </tr></thead>
        <tbody>
          ${items.map((cert) => html`<${Row} key=${cert.id} cert=${cert} tenant=${tenant} selected=${selected.has(cert.id)}
            onSelect=${onSelect} actions=${actions} perms=${perms} />`)}
        </tbody>
      </table>
    <//>
    ${items.length === 0 && html`<${Empty}>No certificate matches these filters.<//>`}
    <${Pager} pager=${pager} nextCursor=${state.data.next_cursor} count=${items.length} label="on this page" />`}

    <${RevokeDialog} open=${!!dialog && dialog.kind === 'revoke'} count=${dialog ? dialog.certs.length : 1}
      subject=${dialog && dialog.certs[0] && (dialog.certs[0].common_name || dialog.certs[0].id)}
      busy=${busy} error=${dialogError} onCancel=${() => setDialog(null)} onConfirm=${confirmRevoke} />
    <${ConfirmDialog} open=${!!dialog && dialog.kind === 'renew'} title=${dialog && dialog.certs.length > 1 ? `Renew ${dialog.certs.length} certificates` : 'Renew certificate'}
      confirmLabel="Renew" busy=${busy} error=${dialogError} onCancel=${() => setDialog(null)} onConfirm=${confirmRenew} testid="confirm-renew">
      <p>A new certificate with the same names, profile and key type replaces
        ${dialog && dialog.certs.length > 1 ? ` ${dialog.certs.length} certificates` : html` <strong>${dialog && dialog.certs[0] && (dialog.certs[0].common_name || dialog.certs[0].id)}</strong>`}.
        The old one stays valid until it expires.</p>
    <//>
  </section>`;
}
