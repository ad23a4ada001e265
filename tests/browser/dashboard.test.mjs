#!/usr/bin/env node
// Browser test of the dashboard (web/): starts `signet serve --dev` on a
// loopback port, seeds certificates through the API, and drives Chromium
// through puppeteer-core: sign-in, overview numbers, inventory filters,
// sort and natural-language search, keyboard use, revocation from the
// detail page seen live in another tab, an auditor's view, axe-core on
// every page, and a screenshot of each.
//
//   node tests/browser/dashboard.test.mjs
//
// Environment: SIGNET_BIN (default build/bin/signet), CHROMIUM
// (default /usr/bin/chromium), SCREENSHOT_DIR (default <tmp>/shots),
// SIGNET_WEB_DIR (where node_modules is; default web/). Needs
// `npm ci` in web/ first. Prints one line per check, then
// "N passed, N failed"; exits 1 on any failure.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Skip, apiClient, assert, assertNoProblems, axe as runAxe, bin, chromium, createRunner, equal, launchBrowser,
  requireFiles, sleep, startSignet, stopProcess, tools, waitReady, waitSettled, watch,
} from './harness.mjs';

const NAME = 'dashboard test';
const { puppeteer, axeSource } = tools(NAME);
requireFiles(NAME, [['signet binary (SIGNET_BIN)', bin], ['Chromium (CHROMIUM)', chromium]]);
const work = mkdtempSync(join(tmpdir(), 'signet-browser-'));
const shots = resolve(process.env.SCREENSHOT_DIR || join(work, 'shots'));
mkdirSync(shots, { recursive: true });
const OVERALL_TIMEOUT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 240000);

const runner = createRunner();
const { check } = runner;

// ---------------------------------------------------------------- host
let host;
let base;
let adminToken;
let call;
let api;

async function startHost() {
  const dataDir = join(work, 'dev');
  host = await startSignet(['--dev', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
  base = host.url;
  adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  ({ call, api } = apiClient(base, readFileSync(join(dataDir, 'ca.pem')), adminToken));
}

const SEED = [
  { common_name: 'web-rsa-a.example.com', sans: { dns: ['web-rsa-a.example.com', 'www.web-rsa-a.example.com'] }, key: { type: 'rsa', bits: 2048 }, ttl: '72h', service: 'payments' },
  { common_name: 'web-rsa-b.example.com', sans: { dns: ['web-rsa-b.example.com'] }, key: { type: 'rsa', bits: 2048 }, ttl: '480h', service: 'payments' },
  { common_name: 'api-rsa3072.example.com', key: { type: 'rsa', bits: 3072 }, ttl: '2000h', service: 'checkout' },
  { common_name: 'ec-a.example.com', sans: { dns: ['ec-a.example.com'], ip: ['10.1.2.3'] }, key: { type: 'ecdsa', curve: 'P-256' }, ttl: '100h', service: 'checkout' },
  { common_name: 'ec-b.example.com', sans: { dns: ['ec-b.example.com', 'b1.example.com', 'b2.example.com'] }, key: { type: 'ecdsa', curve: 'P-256' }, ttl: '1500h', service: 'inventory', metadata: { ticket: 'CHG-42' } },
  { common_name: 'ed.example.com', key: { type: 'ed25519' }, ttl: '600h', service: 'payments' },
];

async function seed() {
  const ids = {};
  for (const body of SEED) {
    const answer = await api('POST', '/v1/certificates', body);
    ids[body.common_name] = answer.id || answer.certificate_id;
  }
  // One renewal, so that history, "superseded" and "replaced by" show.
  const renewed = await api('POST', `/v1/certificates/${ids['ec-b.example.com']}/renew`, {});
  ids['ec-b renewed'] = renewed.id || renewed.certificate_id;
  return ids;
}

// ---------------------------------------------------------------- page helpers
async function open(page, path, name) {
  await page.goto(`${base}${path}`, { waitUntil: 'domcontentloaded' });
  await waitReady(page, name);
}

async function shot(page, file) {
  await page.screenshot({ path: join(shots, file), fullPage: true });
}

const axe = (page, what) => runAxe(page, axeSource, what);

async function texts(page, selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
}

async function rowIds(page) {
  return page.$$eval('[data-testid=row]', (rows) => rows.map((r) => r.dataset.id));
}

async function signIn(page, token) {
  await page.goto(`${base}/ui/`, { waitUntil: 'domcontentloaded' });
  await waitReady(page, 'signin');
  await page.type('[data-testid=token-input]', token);
  await page.click('[data-testid=sign-in]');
  await waitReady(page, 'overview');
}

// ---------------------------------------------------------------- the test
async function main() {
  await check('the host starts in dev mode', startHost);
  if (!base) return;
  let ids = {};
  await check('certificates are seeded through the API', async () => {
    ids = await seed();
  });

  const browser = await launchBrowser(puppeteer, join(work, 'chromium-profile'));
  try {
    const page = watch(await browser.newPage(), 'admin tab');
    await page.setViewport({ width: 1400, height: 900 });

    await check('the dashboard is served with its Content-Security-Policy', async () => {
      const response = await page.goto(`${base}/ui/`, { waitUntil: 'domcontentloaded' });
      const csp = response.headers()['content-security-policy'] || '';
      assert(response.status() === 200, `/ui/ answered ${response.status()}: is the dashboard installed next to the binary (share/signet/web)?`);
      assert(csp.includes("script-src 'self'") && csp.includes("default-src 'none'"), `unexpected CSP: ${csp}`);
    });

    await check('signed out, the page is the sign-in form', async () => {
      await waitReady(page, 'signin');
      assert(page.url().includes('/ui/signin'), `expected /ui/signin, at ${page.url()}`);
      assert(await page.$('[data-testid=token-input]'), 'no token input');
      await shot(page, 'signin.png');
      await axe(page, 'signin');
    });

    await check('a wrong token is refused with a message', async () => {
      await page.type('[data-testid=token-input]', 'sgt_not-a-real-token');
      await page.click('[data-testid=sign-in]');
      await page.waitForSelector('.signin-form [role=alert]', { timeout: 5000 });
      await page.$eval('[data-testid=token-input]', (el) => { el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true })); });
    });

    await check('signing in with the admin token opens the overview', async () => {
      await page.type('[data-testid=token-input]', adminToken);
      await page.click('[data-testid=sign-in]');
      await waitReady(page, 'overview');
      assert(page.url().endsWith('/ui/'), `expected /ui/, at ${page.url()}`);
    });

    await check('overview tiles equal GET /v1/stats', async () => {
      const stats = await api('GET', '/v1/stats');
      const expected = {
        'tile-active': stats.certificates.active,
        'tile-expiring-7d': stats.certificates.expiring_7d,
        'tile-expiring-30d': stats.certificates.expiring_30d,
        'tile-expired': stats.certificates.expired_not_replaced,
        'tile-revoked-24h': stats.certificates.revoked_24h,
        'tile-pending-approvals': stats.requests.pending_approval,
        'tile-failed-requests': stats.requests.failed_24h,
        'tile-failing-renewals': stats.renewals.failing,
      };
      for (const [testid, value] of Object.entries(expected)) {
        const shown = await page.$eval(`[data-testid=${testid}] [data-testid=value]`, (el) => el.textContent.trim());
        equal(shown, String(value), testid);
      }
      assert(stats.certificates.active >= SEED.length, `stats count ${stats.certificates.active} active certificates`);
    });

    await check('the 7-day tile links to exactly those certificates', async () => {
      const href = await page.$eval('[data-testid=tile-expiring-7d]', (a) => a.getAttribute('href'));
      equal(href, '/ui/inventory?expiring_within_days=7&renewal=not_renewed&sort=not_after', 'tile link');
      await page.click('[data-testid=tile-expiring-7d]');
      await waitReady(page, 'inventory');
      const listed = await api('GET', '/v1/certificates?expiring_within_days=7&renewal=not_renewed&sort=not_after');
      equal(await rowIds(page), listed.items.map((c) => c.id), 'rows');
      const chips = await page.$$eval('[data-testid=chip]', (els) => els.map((e) => `${e.dataset.field}=${e.dataset.value}`));
      equal(chips.sort(), ['expiring_within_days=7', 'renewal=not_renewed'], 'filter chips');
    });

    await check('overview: screenshot and no serious accessibility violations', async () => {
      await open(page, '/ui/', 'overview');
      await page.waitForSelector('.chart-svg[role=img]');
      await shot(page, 'overview.png');
      await axe(page, 'overview');
      assertNoProblems(page);
    });

    await check('inventory lists every certificate with its columns', async () => {
      await open(page, '/ui/inventory', 'inventory');
      const listed = await api('GET', '/v1/certificates?limit=50');
      equal(await rowIds(page), listed.items.map((c) => c.id), 'rows, newest first');
      const row = await page.$(`[data-testid=row][data-id="${ids['ec-b.example.com']}"]`);
      assert(row, 'the renewed certificate is listed');
      const text = await row.evaluate((r) => r.innerText);
      assert(/superseded/.test(text), `a renewed certificate shows as superseded: ${text}`);
      assert(/\+2/.test(text), `its SAN count shows +2: ${text}`);
      const band = await page.$eval(`[data-testid=row][data-id="${ids['web-rsa-a.example.com']}"] .band`, (el) => [el.className, el.textContent]);
      assert(band[0].includes('band-urgent') && /\d+ (d|h) left/.test(band[1]), `a 3-day certificate is urgent with words: ${band}`);
      await shot(page, 'inventory.png');
      await axe(page, 'inventory');
    });

    await check('inventory sorts by clicking headers (aria-sort follows)', async () => {
      await page.click('[data-testid=sort-common_name]');
      await waitSettled(page, ['sort=common_name']);
      let names = await texts(page, '[data-testid=row] th.cn a');
      equal(names, [...names].sort(), 'A to Z');
      equal(await page.$eval('th[aria-sort]', (th) => [th.innerText.trim().split('\n')[0].replace(/[↕▲▼]/g, '').trim().toLowerCase(), th.getAttribute('aria-sort')]), ['common name', 'ascending'], 'aria-sort');
      await page.click('[data-testid=sort-common_name]');
      await waitSettled(page, ['sort=common_name', 'order=desc']);
      names = await texts(page, '[data-testid=row] th.cn a');
      equal(names, [...names].sort().reverse(), 'Z to A');
      await page.click('[data-testid=sort-not_after]');
      await waitSettled(page, ['sort=not_after', 'order=asc']);
      const listed = await api('GET', '/v1/certificates?sort=not_after&order=asc');
      equal(await rowIds(page), listed.items.map((c) => c.id), 'soonest expiry first');
    });

    await check('inventory filters by key type from the filter bar', async () => {
      await open(page, '/ui/inventory', 'inventory');
      await page.select('[data-testid=filter-key_type]', 'ecdsa');
      await waitSettled(page, ['key_type=ecdsa']);
      const types = await page.$$eval('[data-testid=row]', (rows) => rows.map((r) => r.dataset.keyType));
      const listed = await api('GET', '/v1/certificates?key_type=ecdsa');
      assert(types.length === listed.items.length && types.length > 0, `rows ${types.length}, API ${listed.items.length}`);
      assert(types.every((t) => t === 'ecdsa'), `only ECDSA rows: ${types}`);
    });

    await check('keyboard: Tab reaches the search box; typing "rsa 2048" and Enter shows chips and only RSA 2048 rows', async () => {
      await open(page, '/ui/inventory', 'inventory');
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      let reached = false;
      for (let i = 0; i < 40 && !reached; i += 1) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement && document.activeElement.dataset.testid === 'search');
      }
      assert(reached, 'Tab never reached the search box');
      await page.keyboard.type('rsa 2048');
      await page.waitForSelector('[data-testid=chip-preview][data-field=key_type]', { timeout: 5000 });
      await page.keyboard.press('Enter');
      await waitSettled(page, ['key_type=rsa', 'key_bits=2048'], [], 5000);
      const chips = await page.$$eval('[data-testid=chip]', (els) => els.map((e) => `${e.dataset.field}=${e.dataset.value}`));
      equal(chips.sort(), ['key_bits=2048', 'key_type=rsa'], 'chips');
      const listed = await api('GET', '/v1/certificates?key_type=rsa&key_bits=2048');
      const rows = await rowIds(page);
      equal(rows, listed.items.map((c) => c.id), 'rows');
      assert(rows.length >= 2, `expected the seeded RSA 2048 certificates, got ${rows.length}`);
      const types = await page.$$eval('[data-testid=row]', (r) => r.map((x) => x.dataset.keyType));
      assert(types.every((t) => t === 'rsa'), `only RSA rows: ${types}`);
      assert(!rows.includes(ids['api-rsa3072.example.com']), 'the RSA 3072 certificate is not listed');
    });

    await check('removing a chip drops that filter (a saved view is the URL)', async () => {
      const removeLabel = await page.$eval('[data-testid=chip][data-field=key_bits] button', (b) => b.getAttribute('aria-label'));
      assert(/Remove filter/.test(removeLabel), `chip remove button label: ${removeLabel}`);
      await page.click('[data-testid=chip][data-field=key_bits] button');
      await waitSettled(page, ['key_type=rsa'], ['key_bits']);
      const rows = await rowIds(page);
      assert(rows.includes(ids['api-rsa3072.example.com']), 'RSA 3072 is back without key_bits');
      const url = page.url();
      const again = watch(await browser.newPage(), 'saved view tab');
      await again.goto(url, { waitUntil: 'domcontentloaded' });
      await waitReady(again, 'inventory');
      equal(await rowIds(again), rows, 'the same URL shows the same view');
      await again.close();
    });

    // Revocation from the detail page, seen live by the overview in another tab.
    const overviewTab = watch(await browser.newPage(), 'overview tab');
    await overviewTab.setViewport({ width: 1400, height: 900 });
    const target = ids['web-rsa-b.example.com'];

    await check('certificate detail shows its fields, chain and history', async () => {
      await page.bringToFront();
      await open(page, `/ui/certificates/${ids['ec-b renewed']}`, 'certificate');
      const text = await page.$eval('main', (m) => m.innerText);
      for (const want of ['ec-b.example.com', 'b1.example.com', 'CHG-42', 'Renewal history', 'Issuing CA (PEM)', 'Audit trail']) {
        assert(text.includes(want), `detail page lacks "${want}"`);
      }
      const history = await page.$$eval('.history li', (lis) => lis.length);
      assert(history >= 2, `renewal history lists the renewed certificate too (${history})`);
      await open(page, `/ui/certificates/${target}`, 'certificate');
      await shot(page, 'certificate.png');
      await axe(page, 'certificate');
    });

    let liveStatus = 'off';
    await check('the overview in another tab follows the live feed', async () => {
      await open(overviewTab, '/ui/', 'overview');
      await overviewTab.waitForFunction(
        () => ['live', 'polling', 'unavailable'].includes(document.querySelector('[data-testid=live-status]').dataset.status),
        { timeout: 20000, polling: 100 },
      );
      liveStatus = await overviewTab.$eval('[data-testid=live-status]', (el) => el.dataset.status);
      const politeness = await overviewTab.$eval('[data-testid=live-status]', (el) => el.getAttribute('aria-live'));
      equal(politeness, 'polite', 'live indicator aria-live');
      // The host may not have the live feed yet: then the page must say so, not break.
      const ws = await call('GET', '/v1/events/ws');
      const poll = await call('GET', '/v1/events?wait=0');
      const served = ws.status !== 404 || poll.status !== 404;
      if (!served) {
        equal(liveStatus, 'unavailable', 'the indicator on a host without a live feed');
        throw new Skip('this host serves neither /v1/events/ws nor /v1/events (both 404); the indicator says "Live updates unavailable"');
      }
      assert(liveStatus !== 'unavailable', `the host serves the live feed (GET /v1/events/ws ${ws.status}, /v1/events ${poll.status}) but the page says it is unavailable`);
    });

    await check('revoke from the detail page: confirm dialog, reason, status becomes revoked', async () => {
      const before = await overviewTab.$eval('[data-testid=tile-revoked-24h] [data-testid=value]', (el) => Number(el.textContent));
      const eventsBefore = await overviewTab.evaluate(() => Number(document.body.dataset.liveEvents || 0));
      await page.bringToFront(); // a background tab renders no frames: clicks would wait for one
      await page.click('[data-testid=revoke]');
      await page.waitForSelector('dialog[open] [data-testid=revoke-reason]');
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.closest('dialog[open]') !== null);
      assert(focused, 'focus moves into the dialog');
      await axe(page, 'the revoke dialog');
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.querySelector('dialog[open]'), { timeout: 3000 });
      const back = await page.evaluate(() => document.activeElement && document.activeElement.dataset.testid);
      equal(back, 'revoke', 'focus returns to the button after Escape');
      await page.click('[data-testid=revoke]');
      await page.waitForSelector('dialog[open] [data-testid=revoke-reason]');
      await page.select('dialog[open] [data-testid=revoke-reason]', 'key_compromise');
      const revokedAt = Date.now();
      await page.click('dialog[open] [data-testid=confirm-revoke]');
      await page.waitForFunction(() => document.querySelector('main .badge.status-revoked'), { timeout: 10000, polling: 50 });
      const cert = await api('GET', `/v1/certificates/${target}`);
      equal([cert.status, cert.revocation_reason], ['revoked', 'key_compromise'], 'the API agrees');
      assert(!(await page.$('[data-testid=revoke]')), 'no revoke button on a revoked certificate');

      if (liveStatus === 'unavailable') return;
      await overviewTab.waitForFunction(
        (n) => Number(document.querySelector('[data-testid=tile-revoked-24h] [data-testid=value]').textContent) === n,
        { timeout: 5000, polling: 25 },
        before + 1,
      );
      const took = Date.now() - revokedAt;
      const events = await overviewTab.evaluate(() => Number(document.body.dataset.liveEvents || 0));
      assert(events > eventsBefore, `the other tab counted live events (${eventsBefore} → ${events})`);
      console.log(`#   the other tab showed the revocation ${took} ms after the click (${liveStatus})`);
      assert(took < 2500, `the overview took ${took} ms to show the revocation (want about 1 s)`);
    });
    assertNoProblems(overviewTab);
    await overviewTab.close();

    await check('timeline page: chart, table, toggle by tenant', async () => {
      await page.bringToFront();
      await open(page, '/ui/timeline', 'timeline');
      const stats = await api('GET', '/v1/stats/timeline?weeks=26&by=ca');
      const totals = await page.$$eval('table.data-table tbody tr td:last-child', (tds) => tds.map((td) => Number(td.textContent)));
      equal(totals, stats.weeks.map((w) => w.total), 'weekly totals');
      assert(await page.$('svg[role=img][aria-label]'), 'an accessible chart');
      await shot(page, 'timeline.png');
      await axe(page, 'timeline');
      await page.click('[data-testid=by-tenant]');
      await waitSettled(page, ['by=tenant']);
      equal(await page.$eval('[data-testid=by-tenant]', (b) => b.getAttribute('aria-pressed')), 'true', 'aria-pressed');
    });

    await check('requests page', async () => {
      await open(page, '/ui/requests?status=failed', 'requests');
      await shot(page, 'requests.png');
      await axe(page, 'requests');
    });

    await check('audit page lists the revocation', async () => {
      await open(page, `/ui/audit?object=${target}`, 'audit');
      const actions = await texts(page, '[data-testid=audit-row] td:nth-child(4)');
      assert(actions.includes('certificate.revoke'), `audit rows: ${actions}`);
      await open(page, '/ui/audit', 'audit');
      await shot(page, 'audit.png');
      await axe(page, 'audit');
    });

    await check('admin page lists tenants, tokens and health', async () => {
      await open(page, '/ui/admin', 'admin');
      for (const section of ['tenants', 'tokens', 'health']) assert(await page.$(`[data-testid=admin-${section}]`), `no ${section} section`);
      await shot(page, 'admin.png');
      await axe(page, 'admin');
      assertNoProblems(page);
    });

    await check('an auditor sees no revoke buttons and is refused revocation (403)', async () => {
      const made = await api('POST', '/v1/tokens', { roles: ['auditor'], description: 'browser test auditor', ttl: '1h' });
      const context = await browser.createBrowserContext();
      try {
        const auditor = watch(await context.newPage(), 'auditor');
        await auditor.setViewport({ width: 1400, height: 900 });
        await signIn(auditor, made.token);
        await open(auditor, '/ui/inventory', 'inventory');
        assert((await rowIds(auditor)).length > 0, 'the auditor reads the inventory');
        for (const testid of ['revoke', 'renew', 'bulk-revoke', 'bulk-renew', 'row-select']) {
          assert(!(await auditor.$(`[data-testid=${testid}]`)), `the auditor sees [data-testid=${testid}]`);
        }
        const active = ids['ec-a.example.com'];
        await open(auditor, `/ui/certificates/${active}`, 'certificate');
        assert(!(await auditor.$('[data-testid=revoke]')), 'no revoke button on the detail page');
        const status = await auditor.evaluate(async (id) => {
          const session = await (await fetch('/v1/session', { credentials: 'same-origin' })).json();
          const res = await fetch(`/v1/certificates/${id}/revoke`, {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
            body: JSON.stringify({ reason: 'unspecified' }),
          });
          return res.status;
        }, active);
        equal(status, 403, 'revoke as auditor');
        equal((await api('GET', `/v1/certificates/${active}`)).status, 'active', 'still active');
        assertNoProblems(auditor);
      } finally {
        await context.close();
      }
    });

    await check("another tenant's user never sees this tenant's certificates or events", async () => {
      await api('POST', '/v1/tenants', { slug: 'other', name: 'Other' });
      const made = await api('POST', '/v1/tokens', { roles: ['cert_manager'], tenant: 'other', description: 'other tenant', ttl: '1h' });
      const context = await browser.createBrowserContext();
      try {
        const other = watch(await context.newPage(), 'other-tenant');
        await other.setViewport({ width: 1400, height: 900 });
        await signIn(other, made.token);
        await open(other, '/ui/inventory', 'inventory');
        equal((await rowIds(other)).length, 0, "rows of the default tenant in the other tenant's inventory");
        await open(other, '/ui/', 'overview');
        await other.waitForFunction(() => document.querySelector('[data-testid=live-status]')?.dataset.status === 'live',
          { timeout: 20000, polling: 100 });
        const before = await other.evaluate(() => Number(document.body.dataset.liveEvents || 0));
        // A change in the default tenant: the other tenant's live feed stays quiet.
        await api('POST', '/v1/certificates', { common_name: 'isolated.example.com', dns_names: ['isolated.example.com'],
          key: { type: 'ecdsa', curve: 'P-256' } });
        await sleep(2500);
        equal(await other.evaluate(() => Number(document.body.dataset.liveEvents || 0)), before, "live events from the default tenant");
        const text = await other.evaluate(() => document.body.innerText);
        assert(!text.includes('isolated.example.com'), "the other tenant's page names the default tenant's certificate");
        equal(await other.$eval('[data-testid=tile-active] [data-testid=value]', (el) => el.textContent.trim()), '0', 'active tile of the other tenant');
        const direct = await other.evaluate(async (id) => (await fetch(`/v1/certificates/${id}`, { credentials: 'same-origin' })).status,
          ids['ec-a.example.com']);
        equal(direct, 404, "reading the default tenant's certificate by id");
        assertNoProblems(other);
      } finally {
        await context.close();
      }
    });

    await check('inventory: renew one row, then bulk-revoke two selected rows with a reason', async () => {
      await open(page, '/ui/inventory?sort=common_name', 'inventory');
      const renewing = ids['ed.example.com'];
      await page.click(`[data-testid=row][data-id="${renewing}"] [data-testid=renew]`);
      await page.waitForSelector('dialog[open] [data-testid=confirm-renew]');
      await page.click('dialog[open] [data-testid=confirm-renew]');
      await page.waitForFunction(() => /Renewed ed\.example\.com/.test(document.querySelector('.action-result').textContent), { timeout: 10000, polling: 50 });
      const renewed = await api('GET', `/v1/certificates/${renewing}`);
      assert(renewed.renewed_by, 'the API shows the renewal');
      await waitSettled(page, ['sort=common_name']);

      const chosen = [ids['web-rsa-a.example.com'], ids['api-rsa3072.example.com']];
      for (const id of chosen) await page.click(`[data-testid=row][data-id="${id}"] [data-testid=row-select]`);
      await page.click('[data-testid=bulk-revoke]');
      await page.waitForSelector('dialog[open] [data-testid=revoke-reason]');
      const title = await page.$eval('dialog[open] h2', (h) => h.textContent);
      equal(title, 'Revoke 2 certificates', 'dialog title');
      await page.select('dialog[open] [data-testid=revoke-reason]', 'cessation_of_operation');
      await page.click('dialog[open] [data-testid=confirm-revoke]');
      await page.waitForFunction(() => /Revoked 2 certificates/.test(document.querySelector('.action-result').textContent), { timeout: 10000, polling: 50 });
      for (const id of chosen) {
        const cert = await api('GET', `/v1/certificates/${id}`);
        equal([cert.status, cert.revocation_reason], ['revoked', 'cessation_of_operation'], id);
      }
      await page.waitForFunction((list) => list.every((id) => document.querySelector(`[data-testid=row][data-id="${id}"]`).dataset.status === 'revoked'),
        { timeout: 5000, polling: 50 }, chosen);
    });

    await check('signing out returns to the sign-in page', async () => {
      await open(page, '/ui/', 'overview');
      await page.click('[data-testid=sign-out]');
      await waitReady(page, 'signin');
      const session = await page.evaluate(async () => (await fetch('/v1/session', { credentials: 'same-origin' })).status);
      equal(session, 401, 'GET /v1/session after signing out');
    });
  } finally {
    await browser.close();
  }
}

const guard = setTimeout(() => {
  console.log(`not ok - the test did not finish within ${OVERALL_TIMEOUT_MS} ms`);
  if (host) host.child.kill('SIGKILL');
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

try {
  await main();
} catch (err) {
  runner.fail(err && err.stack ? err.stack : String(err));
} finally {
  clearTimeout(guard);
  if (host) await stopProcess(host.child);
  rmSync(join(work, 'chromium-profile'), { recursive: true, force: true });
  if (runner.counts.failed === 0) rmSync(join(work, 'dev'), { recursive: true, force: true });
  console.log(`# screenshots in ${shots}`);
  console.log(runner.summary());
  process.exit(runner.counts.failed === 0 ? 0 : 1);
}
