// The overview: numbers that need a person, what expires soon, the expiry
// timeline, recent activity and the host's health. Numbers follow the live
// feed (stats ticks, and a refetch after certificate and request events).
import { html } from '../html.mjs';
import { api, query, settle } from '../api.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useLiveEvents, useLiveRefresh } from '../live.mjs';
import { Tile, TileGrid } from '../components/tiles.mjs';
import { StackedBars, TimelineTable, summarize } from '../components/chart.mjs';
import { ErrorNotice, Loading, Empty } from '../components/notice.mjs';
import { ExpiryCell, HealthBadge, OutcomeBadge } from '../components/badges.mjs';
import { TableWrap } from '../components/table.mjs';
import { formatDateTime, relativeTime, shortId } from '../format.mjs';

const ACTIVITY = 15;

/** The newest records: the API lists oldest first, so read the last week's and keep the tail. */
async function recentAudit() {
  const since = new Date(Date.now() - 7 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  let items = [];
  let cursor;
  for (let page = 0; page < 10; page += 1) {
    const answer = await api.get(`/v1/audit${query({ since, limit: 1000, cursor })}`);
    items = items.concat(answer.items || []).slice(-ACTIVITY);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return items.reverse();
}

async function loadOverview(can) {
  const [stats, timeline, health, expiring, expired, audit] = await Promise.all([
    api.get('/v1/stats'),
    settle(api.get('/v1/stats/timeline?weeks=26&by=ca')),
    settle(api.get('/ready', { acceptStatus: [503] })),
    settle(api.get('/v1/certificates?expiring_within_days=30&renewal=not_renewed&sort=not_after&limit=10')),
    settle(api.get('/v1/certificates?status=expired&renewal=not_renewed&sort=not_after&order=desc&limit=10')),
    can['audit:read'] !== 'none' ? settle(recentAudit()) : Promise.resolve(null),
  ]);
  return { stats, timeline, health, expiring, expired, audit };
}

function revokedSince() {
  const t = new Date(Date.now() - 86400000);
  t.setUTCSeconds(0, 0);
  return t.toISOString().replace(/\.\d+Z$/, 'Z');
}

function Tiles({ stats }) {
  const c = stats.certificates || {};
  const r = stats.requests || {};
  const renewals = stats.renewals || {};
  return html`<${TileGrid}>
    <${Tile} testid="tile-active" label="Active" value=${c.active} href="/ui/inventory?status=active"
      hint=${c.superseded ? `${c.superseded} already renewed` : 'not revoked, not expired'} />
    <${Tile} testid="tile-expiring-7d" label="Expiring ≤ 7 days" value=${c.expiring_7d} tone="urgent"
      href="/ui/inventory?expiring_within_days=7&renewal=not_renewed&sort=not_after" hint="not yet renewed" />
    <${Tile} testid="tile-expiring-30d" label="Expiring ≤ 30 days" value=${c.expiring_30d} tone="warn"
      href="/ui/inventory?expiring_within_days=30&renewal=not_renewed&sort=not_after" hint="not yet renewed" />
    <${Tile} testid="tile-expired" label="Expired, not replaced" value=${c.expired_not_replaced} tone="urgent"
      href="/ui/inventory?status=expired&renewal=not_renewed&sort=not_after&order=desc" hint="no renewal took over" />
    <${Tile} testid="tile-revoked-24h" label="Revoked in 24 h" value=${c.revoked_24h} tone="warn"
      href=${`/ui/inventory?status=revoked&revoked_since=${encodeURIComponent(revokedSince())}`} hint=${`${c.revoked ?? 0} revoked in all`} />
    <${Tile} testid="tile-pending-approvals" label="Pending approvals" value=${r.pending_approval} tone="warn"
      href="/ui/requests?status=pending_approval" hint="requests waiting for approvers" />
    <${Tile} testid="tile-failed-requests" label="Failed requests (24 h)" value=${r.failed_24h} tone="urgent"
      href="/ui/requests?status=failed" hint="made in the last day" />
    <${Tile} testid="tile-failing-renewals" label="Failing renewals" value=${renewals.failing} tone="urgent"
      hint="automatic renewal retrying" />
  <//>`;
}

function AttentionTable({ result, caption, empty, moreHref }) {
  if (!result) return null;
  if (!result.ok) return html`<${ErrorNotice} error=${result.error} title=${caption} />`;
  const items = result.value.items || [];
  return html`<div class="attention">
    <h3>${caption}</h3>
    ${items.length === 0
      ? html`<${Empty}>${empty}<//>`
      : html`<${TableWrap} label=${caption}><table class="data-table compact">
          <thead><tr><th scope="col">Common name</th><th scope="col">Not after</th><th scope="col">Owner</th></tr></thead>
          <tbody>${items.map((cert) => html`<tr key=${cert.id}>
            <td><a href=${`/ui/certificates/${cert.id}`}>${cert.common_name || cert.id}</a></td>
            <td><${ExpiryCell} cert=${cert} /></td>
            <td>${cert.service || '—'}</td>
          </tr>`)}</tbody>
        </table><//>
        ${result.value.next_cursor && html`<p><a href=${moreHref}>Show all</a></p>`}`}
  </div>`;
}

function Activity({ result }) {
  if (!result) return html`<${Empty}>Your roles do not include reading the audit log.<//>`;
  if (!result.ok) return html`<${ErrorNotice} error=${result.error} title="Recent activity" />`;
  const items = result.value;
  if (items.length === 0) return html`<${Empty}>Nothing happened in the last 7 days.<//>`;
  return html`<ol class="activity">
    ${items.map((r) => html`<li key=${r.seq}>
      <span class="activity-action">${r.action}</span>
      ${r.object && (r.object.startsWith('crt_')
        ? html` <a href=${`/ui/certificates/${r.object}`} class="mono">${shortId(r.object)}</a>`
        : html` <span class="mono">${shortId(r.object)}</span>`)}
      <${OutcomeBadge} outcome=${r.outcome} />
      <span class="activity-meta"><time datetime=${r.time} title=${formatDateTime(r.time)}>${relativeTime(r.time)}</time>
        · ${r.principal ? shortId(r.principal) : 'anonymous'}</span>
    </li>`)}
  </ol>
  <p><a href="/ui/audit">Open the audit log</a></p>`;
}

function Health({ result }) {
  if (!result.ok) return html`<${ErrorNotice} error=${result.error} title="Health" />`;
  const checks = Object.entries((result.value && result.value.checks) || {});
  const ready = result.value && result.value.status === 'ready';
  return html`<div>
    <p class=${`health-summary ${ready ? 'health-summary-ok' : 'health-summary-bad'}`}>
      ${ready ? 'All checks pass' : 'Not ready: some checks fail'}
    </p>
    <ul class="checks">
      ${checks.map(([name, value]) => html`<li key=${name}><span>${name.replace(/^plugin:/, 'plugin ')}</span> <${HealthBadge} value=${value} /></li>`)}
    </ul>
  </div>`;
}

export function OverviewPage({ session }) {
  usePage('overview', 'Overview');
  const can = session.user.can;
  const state = useLoad(() => loadOverview(can), []);
  useLiveEvents((message) => {
    if (message.type === 'stats' && message.stats) state.setData((d) => (d ? { ...d, stats: message.stats } : d));
  });
  useLiveRefresh(state.reload);

  const d = state.data;
  return html`<section class="page">
    <div class="page-head">
      <h1 tabindex="-1">Overview</h1>
      ${d && html`<p class="page-sub">Tenant <strong>${(d.stats.tenants || [session.user.tenant]).join(', ')}</strong> · updated <time datetime=${d.stats.generated_at}>${formatDateTime(d.stats.generated_at)}</time></p>`}
    </div>
    ${state.error && html`<${ErrorNotice} error=${state.error} title="The numbers could not be loaded" onRetry=${state.reload} />`}
    ${!d && state.loading && html`<${Loading} />`}
    ${d && html`
      <h2 class="sr-only">Numbers</h2>
      <${Tiles} stats=${d.stats} />
      <div class="grid-2">
        <section class="panel" aria-labelledby="attention-title">
          <h2 id="attention-title">Needs attention</h2>
          <${AttentionTable} result=${d.expiring} caption="Expiring within 30 days, not renewed"
            empty="Nothing expires within 30 days." moreHref="/ui/inventory?expiring_within_days=30&renewal=not_renewed&sort=not_after" />
          <${AttentionTable} result=${d.expired} caption="Expired and not replaced"
            empty="No expired certificate is waiting for a replacement." moreHref="/ui/inventory?status=expired&renewal=not_renewed&sort=not_after&order=desc" />
        </section>
        <section class="panel" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Expiry, next 26 weeks</h2>
          ${d.timeline.ok
            ? html`<${StackedBars} weeks=${d.timeline.value.weeks || []} compact=${true} height=${200}
                label=${`Expiry timeline by CA. ${summarize(d.timeline.value.weeks || [])}`} />
              <${TimelineTable} weeks=${d.timeline.value.weeks || []} caption="Certificates expiring per week, by CA" className="sr-only" />
              <p><a href="/ui/timeline">Open the timeline</a></p>`
            : html`<${ErrorNotice} error=${d.timeline.error} title="Timeline" />`}
        </section>
      </div>
      <div class="grid-2">
        <section class="panel" aria-labelledby="activity-title">
          <h2 id="activity-title">Recent activity</h2>
          <${Activity} result=${d.audit} />
        </section>
        <section class="panel" aria-labelledby="health-title">
          <h2 id="health-title">Health</h2>
          <${Health} result=${d.health} />
        </section>
      </div>`}
  </section>`;
}
