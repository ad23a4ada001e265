// The expiry timeline: active, unreplaced certificates by the week their
// not_after falls in, stacked by CA or by tenant, as a chart and a table.
import { html } from '../html.mjs';
import { api } from '../api.mjs';
import { navigate } from '../router.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useLiveRefresh } from '../live.mjs';
import { StackedBars, TimelineTable, summarize } from '../components/chart.mjs';
import { ErrorNotice, Loading } from '../components/notice.mjs';

const WEEKS = 26;

export function TimelinePage({ session, route }) {
  usePage('timeline', 'Expiry timeline');
  const by = route.params.get('by') === 'tenant' ? 'tenant' : 'ca';
  const tenantParam = session.user.super_admin && by === 'tenant' ? '&tenant=*' : '';
  const state = useLoad(() => api.get(`/v1/stats/timeline?weeks=${WEEKS}&by=${by}${tenantParam}`), [by]);
  useLiveRefresh(state.reload);
  const weeks = (state.data && state.data.weeks) || [];
  const what = by === 'ca' ? 'CA' : 'tenant';

  const toggle = (value) => html`<button type="button" class=${`segment${by === value ? ' segment-on' : ''}`}
      aria-pressed=${by === value ? 'true' : 'false'} data-testid=${`by-${value}`}
      onClick=${() => navigate(`/ui/timeline${value === 'ca' ? '' : '?by=tenant'}`)}>${value === 'ca' ? 'CA' : 'Tenant'}</button>`;

  return html`<section class="page">
    <div class="page-head">
      <h1 tabindex="-1">Expiry timeline</h1>
      <div class="segmented" role="group" aria-label="Stack bars by">
        <span class="segmented-label" aria-hidden="true">Stack by</span>
        ${toggle('ca')}${toggle('tenant')}
      </div>
    </div>
    <p class="page-sub">Active certificates that no renewal has replaced yet, by the week they expire (weeks start on Thursday, 00:00 UTC).</p>
    ${state.error && html`<${ErrorNotice} error=${state.error} title="The timeline could not be loaded" onRetry=${state.reload} />`}
    ${state.loading && !state.data && html`<${Loading} />`}
    ${state.data && html`
      <section class="panel">
        <h2 class="sr-only">Chart</h2>
        <${StackedBars} weeks=${weeks} width=${1200} height=${340} label=${`Expiry timeline by ${what}. ${summarize(weeks)}`} />
      </section>
      <section class="panel">
        <h2>Numbers per week</h2>
        <div class="table-wrap" role="region" aria-label="Numbers per week" tabindex="0">
          <${TimelineTable} weeks=${weeks} caption=${`Certificates expiring per week, by ${what}`} />
        </div>
      </section>`}
  </section>`;
}
