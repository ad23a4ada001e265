// The audit log with filters, and whether its hash chain is intact.
import { html } from '../html.mjs';
import { ApiError, api, query, settle } from '../api.mjs';
import { navigate } from '../router.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useState } from '../vendor/hooks.mjs';
import { Empty, ErrorNotice, Loading } from '../components/notice.mjs';
import { OutcomeBadge } from '../components/badges.mjs';
import { Pager, TableWrap, useCursorPager } from '../components/table.mjs';
import { formatDateTime, shortId } from '../format.mjs';

const PERIODS = [['24h', 'Last 24 hours', 1], ['7d', 'Last 7 days', 7], ['30d', 'Last 30 days', 30], ['all', 'All time', 0]];
const OUTCOMES = ['success', 'failure', 'denied', 'refused', 'error'];
const ACTIONS = ['certificate.issue', 'certificate.renew', 'certificate.revoke', 'request.approve', 'request.reject',
  'tenant.create', 'token.create', 'token.revoke', 'approle.create', 'approle.delete', 'approle.secret_id',
  'auth.login', 'session.login', 'session.logout', 'ocsp.signer_create', 'ocsp.signer_renew'];
const FILTERS = ['action', 'principal', 'outcome', 'object'];

function sinceOf(period) {
  const found = PERIODS.find(([value]) => value === period) || PERIODS[1];
  if (!found[2]) return undefined;
  const t = new Date(Date.now() - found[2] * 86400000);
  t.setUTCSeconds(0, 0);
  return t.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** null when this host cannot verify the chain over the API. */
async function verify() {
  const answer = await settle(api.get('/v1/audit/verify'));
  if (answer.ok) return answer.value;
  if (answer.error instanceof ApiError && [404, 405, 501].includes(answer.error.status)) return null;
  return { error: answer.error };
}

function ChainStatus({ chain }) {
  if (!chain) return null;
  if (chain.error) return html`<${ErrorNotice} error=${chain.error} title="The audit chain could not be verified" />`;
  if (chain.valid) {
    return html`<p class="notice notice-success" data-testid="chain-status">
      Hash chain intact: ${chain.records} records verified${chain.verified_at ? html` at <time datetime=${chain.verified_at}>${formatDateTime(chain.verified_at)}</time>` : ''}.
    </p>`;
  }
  return html`<div class="notice notice-error" role="alert" data-testid="chain-status">
    <p><strong>The audit hash chain is broken</strong> at record #${chain.first_broken}: a record was modified, deleted or moved. ${chain.records} records checked.</p>
  </div>`;
}

function Filters({ params }) {
  const [values, setValues] = useState(() => ({
    ...Object.fromEntries(FILTERS.map((f) => [f, params.get(f) || ''])),
    period: params.get('period') || '7d',
  }));
  const bind = (name) => ({
    name,
    value: values[name],
    onInput: (event) => setValues({ ...values, [name]: event.currentTarget.value }),
    onChange: (event) => setValues({ ...values, [name]: event.currentTarget.value }),
  });
  const submit = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of [...FILTERS, 'period']) {
      const value = String(values[key] || '').trim();
      if (value && !(key === 'period' && value === '7d')) next.set(key, value);
    }
    navigate(`/ui/audit${next.toString() ? `?${next}` : ''}`);
  };
  return html`<form class="filters" onSubmit=${submit} aria-label="Audit filters">
    <div class="field"><label for="audit-action">Action</label>
      <input id="audit-action" ...${bind('action')} list="audit-actions" autocomplete="off" />
      <datalist id="audit-actions">${ACTIONS.map((a) => html`<option value=${a} />`)}</datalist></div>
    <div class="field"><label for="audit-principal">Principal</label>
      <input id="audit-principal" ...${bind('principal')} placeholder="tok_…" autocomplete="off" /></div>
    <div class="field"><label for="audit-outcome">Outcome</label>
      <select id="audit-outcome" ...${bind('outcome')}>
        <option value="">Any</option>${OUTCOMES.map((o) => html`<option value=${o}>${o}</option>`)}
      </select></div>
    <div class="field"><label for="audit-object">Object</label>
      <input id="audit-object" ...${bind('object')} placeholder="crt_…" autocomplete="off" /></div>
    <div class="field"><label for="audit-period">Period</label>
      <select id="audit-period" ...${bind('period')}>
        ${PERIODS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select></div>
    <div class="field field-submit"><button type="submit" class="button button-primary">Apply</button></div>
  </form>`;
}

export function AuditPage({ route }) {
  usePage('audit', 'Audit log');
  const params = route.params;
  const key = route.search;
  const pager = useCursorPager(key);
  const state = useLoad(async () => {
    const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f)]));
    const [page, chain] = await Promise.all([
      api.get(`/v1/audit${query({ ...filters, since: sinceOf(params.get('period')), limit: 50, cursor: pager.cursor })}`),
      verify(),
    ]);
    return { page, chain };
  }, [key, pager.cursor]);
  const items = (state.data && state.data.page.items) || [];

  return html`<section class="page">
    <div class="page-head"><h1 tabindex="-1">Audit log</h1></div>
    ${state.data && html`<${ChainStatus} chain=${state.data.chain} />`}
    <${Filters} params=${params} key=${key} />
    <p class="hint">Oldest first, as the log was written.</p>
    ${state.error && html`<${ErrorNotice} error=${state.error} title="The audit log could not be read" onRetry=${state.reload} />`}
    ${state.loading && !state.data && html`<${Loading} />`}
    ${state.data && (items.length === 0
      ? html`<${Empty}>No record matches these filters.<//>`
      : html`<${TableWrap} label="Audit records"><table class="data-table compact">
        <caption class="sr-only">Audit records</caption>
        <thead><tr><th scope="col" class="num">#</th><th scope="col">Time</th><th scope="col">Principal</th><th scope="col">Action</th>
          <th scope="col">Object</th><th scope="col">Outcome</th><th scope="col">Source</th><th scope="col">Detail</th></tr></thead>
        <tbody>${items.map((r) => html`<tr key=${r.seq} data-testid="audit-row">
          <th scope="row" class="num">${r.seq}</th>
          <td><time datetime=${r.time}>${formatDateTime(r.time)}</time></td>
          <td><span class="mono" title=${r.principal || ''}>${r.principal ? shortId(r.principal) : '—'}</span>${r.auth && html`<br /><span class="hint">${r.auth}</span>`}</td>
          <td>${r.action}</td>
          <td>${r.object ? (r.object.startsWith('crt_')
            ? html`<a class="mono" href=${`/ui/certificates/${r.object}`} title=${r.object}>${shortId(r.object)}</a>`
            : html`<span class="mono" title=${r.object}>${shortId(r.object)}</span>`) : '—'}</td>
          <td><${OutcomeBadge} outcome=${r.outcome} /></td>
          <td class="mono">${r.source || '—'}</td>
          <td class="detail mono">${r.detail ? JSON.stringify(r.detail) : ''}</td>
        </tr>`)}</tbody>
      </table><//>
      <${Pager} pager=${pager} nextCursor=${state.data.page.next_cursor} />`)}
  </section>`;
}
