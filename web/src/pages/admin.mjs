// Administration, read-only: tenants, API tokens, login roles, CAs, and
// the plugins and health checks of this host. Each section appears only
// when the session's roles may read it.
import { html } from '../html.mjs';
import { api, settle } from '../api.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { Empty, ErrorNotice, Loading } from '../components/notice.mjs';
import { HealthBadge } from '../components/badges.mjs';
import { TableWrap } from '../components/table.mjs';
import { formatDate, formatDateTime } from '../format.mjs';

const allowed = (can, grant) => can[grant] && can[grant] !== 'none';

async function loadAdmin(can) {
  const maybe = (grant, path) => (allowed(can, grant) ? settle(api.get(path)) : Promise.resolve(null));
  const [tenants, tokens, approles, cas, ready] = await Promise.all([
    maybe('tenant:read', '/v1/tenants'),
    maybe('token:read', '/v1/tokens?limit=200'),
    maybe('approle:read', '/v1/auth/approles'),
    settle(api.get('/pki/cas')),
    settle(api.get('/ready', { acceptStatus: [503] })),
  ]);
  return { tenants, tokens, approles, cas, ready };
}

function Section({ id, title, result, children }) {
  if (result === null) return null;
  return html`<section class="panel" aria-labelledby=${id} data-testid=${`admin-${id}`}>
    <h2 id=${id}>${title}</h2>
    ${result.ok ? children(result.value) : html`<${ErrorNotice} error=${result.error} title=${title} />`}
  </section>`;
}

function list(value) {
  return value && value.length ? value.join(', ') : '—';
}

export function AdminPage({ session }) {
  usePage('admin', 'Administration');
  const can = session.user.can;
  const state = useLoad(() => loadAdmin(can), []);
  const d = state.data;
  return html`<section class="page">
    <div class="page-head"><h1 tabindex="-1">Administration</h1></div>
    <p class="page-sub">Signed in as <strong>${session.user.name}</strong> (${list(session.user.roles)}) in tenant <strong>${session.user.tenant}</strong>.</p>
    ${state.error && html`<${ErrorNotice} error=${state.error} onRetry=${state.reload} />`}
    ${state.loading && !d && html`<${Loading} />`}
    ${d && html`
      <${Section} id="tenants" title="Tenants" result=${d.tenants}>${(v) => (v.items || []).length === 0
        ? html`<${Empty}>No tenants.<//>`
        : html`<${TableWrap} label="Tenants"><table class="data-table compact">
          <thead><tr><th scope="col">Slug</th><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Created</th></tr></thead>
          <tbody>${v.items.map((t) => html`<tr key=${t.id}><th scope="row">${t.slug}</th><td>${t.name}</td><td class="mono">${t.id}</td><td>${formatDate(t.created_at)}</td></tr>`)}</tbody>
        </table><//>`}<//>
      <${Section} id="tokens" title="API tokens" result=${d.tokens}>${(v) => (v.items || []).length === 0
        ? html`<${Empty}>No tokens.<//>`
        : html`<${TableWrap} label="API tokens"><table class="data-table compact">
          <thead><tr><th scope="col">Id</th><th scope="col">Description</th><th scope="col">Roles</th><th scope="col">Service</th>
            <th scope="col">Networks</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">State</th></tr></thead>
          <tbody>${v.items.map((t) => html`<tr key=${t.id}>
            <th scope="row" class="mono">${t.id}</th><td>${t.description || '—'}</td><td>${list(t.roles)}</td><td>${t.service || '—'}</td>
            <td class="mono">${list(t.allowed_networks)}</td><td>${formatDate(t.created_at)}</td><td>${t.expires_at ? formatDate(t.expires_at) : 'never'}</td>
            <td>${t.revoked_at ? html`<span class="badge status-revoked">revoked</span>` : html`<span class="badge status-active">active</span>`}</td>
          </tr>`)}</tbody>
        </table><//>`}<//>
      <${Section} id="approles" title="Login roles (AppRole)" result=${d.approles}>${(v) => (v.items || []).length === 0
        ? html`<${Empty}>No login roles.<//>`
        : html`<${TableWrap} label="Login roles"><table class="data-table compact">
          <thead><tr><th scope="col">Name</th><th scope="col">Role id</th><th scope="col">Roles</th><th scope="col">Service</th>
            <th scope="col">Token TTL</th><th scope="col">Secret id TTL</th><th scope="col">Uses</th></tr></thead>
          <tbody>${v.items.map((r) => html`<tr key=${r.role_id}>
            <th scope="row">${r.name}</th><td class="mono">${r.role_id}</td><td>${list(r.roles)}</td><td>${r.service || '—'}</td>
            <td>${r.token_ttl}</td><td>${r.secret_id_ttl}</td><td class="num">${r.secret_id_num_uses || 'unlimited'}</td>
          </tr>`)}</tbody>
        </table><//>`}<//>
      <${Section} id="cas" title="Certificate authorities" result=${d.cas}>${(v) => (v.items || []).length === 0
        ? html`<${Empty}>No CA instances.<//>`
        : html`<${TableWrap} label="Certificate authorities"><table class="data-table compact">
          <thead><tr><th scope="col">Name</th><th scope="col">Plugin</th><th scope="col">Subject</th><th scope="col">Not after</th><th scope="col">Distribution</th></tr></thead>
          <tbody>${v.items.map((ca) => html`<tr key=${ca.name}>
            <th scope="row">${ca.name}</th><td>${ca.plugin}</td><td class="mono">${ca.subject || '—'}</td>
            <td>${ca.not_after ? formatDateTime(ca.not_after) : '—'}</td>
            <td>${ca.chain_url && html`<a href=${ca.chain_url} download>Chain</a>`}
              ${ca.crl_url && html` · <a href=${ca.crl_url}>CRL</a>`}</td>
          </tr>`)}</tbody>
        </table><//>`}<//>
      <${Section} id="health" title="Plugins and health" result=${d.ready}>${(v) => html`
        <p>Host status: <strong>${v.status}</strong></p>
        <${TableWrap} label="Health checks"><table class="data-table compact">
          <thead><tr><th scope="col">Check</th><th scope="col">Kind</th><th scope="col">State</th></tr></thead>
          <tbody>${Object.entries(v.checks || {}).map(([name, value]) => html`<tr key=${name}>
            <th scope="row">${name.replace(/^plugin:/, '')}</th><td>${name.startsWith('plugin:') ? 'plugin instance' : name}</td>
            <td><${HealthBadge} value=${value} /></td>
          </tr>`)}</tbody>
        </table><//>`}<//>`}
  </section>`;
}
