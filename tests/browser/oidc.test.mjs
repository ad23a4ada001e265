#!/usr/bin/env node
// Browser test of the dashboard's single sign-on: the OpenID Connect
// stand-in (tests/doubles/oidc/oidc_double.py) as the identity provider and
// `signet serve --config` with a `ui.oidc` section. The person clicks
// "Sign in with …", the provider signs them in (a queued login), and the
// dashboard opens where they were going, with the roles their groups give.
//
//   node tests/browser/oidc.test.mjs
//
// Environment: as dashboard.test.mjs, plus PYTHON (default /usr/bin/python3,
// which needs python3-cryptography for the stand-in).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  assert, assertNoProblems, bin, chromium, createRunner, equal, launchBrowser, repo, requireFiles, startProcess,
  startSignet, stopProcess, tools, waitReady, watch,
} from './harness.mjs';

const NAME = 'oidc test';
const python = process.env.PYTHON || '/usr/bin/python3';
const double = join(repo, 'tests', 'doubles', 'oidc', 'oidc_double.py');
const { puppeteer } = tools(NAME);
requireFiles(NAME, [['signet binary (SIGNET_BIN)', bin], ['Chromium (CHROMIUM)', chromium], ['python (PYTHON)', python], ['OIDC stand-in', double]]);
const work = mkdtempSync(join(tmpdir(), 'signet-oidc-'));
const runner = createRunner();
const { check } = runner;
const CLIENT_ID = 'signet-dashboard';
const CLIENT_SECRET = 'dashboard-secret';

let idp;
let issuer;
let host;

/** A JSON call to the stand-in's test controls (plain HTTP on loopback). */
function control(method, path, body) {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(`${issuer}${path}`, {
      method,
      headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode < 300 ? resolvePromise(text ? JSON.parse(text) : null)
        : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function config(dataDir) {
  return `data_dir: ${dataDir}
server:
  listen: 127.0.0.1:0
  tls: {auto: true}
plugins:
  keys:
    keys: {plugin: keys-software, config: {dir: "${dataDir}/keys", passphrase: "browser-test-passphrase-0123456789"}}
  ca:
    internal:
      plugin: ca-internal
      config: {keys: keys, dir: "${dataDir}/ca/internal", root: {common_name: Test Root CA}, issuing: {common_name: Test Issuing CA}}
  store:
    local:
      plugin: store-local
      config: {path: "${dataDir}/secrets.db", master_key: {file: "${dataDir}/store.key", create: true}}
pipelines:
  issue: {validate: [profile-policy], sign: internal, store: local}
  revoke: {}
profiles:
  default:
    max_ttl: 90d
    dns: {allowed_suffixes: [.example.com]}
  guarded:
    max_ttl: 30d
    dns: {allowed_suffixes: [.example.com]}
    approval: {required: true, approvers: [pki_admin]}
ui:
  oidc:
    issuer: ${issuer}
    client_id: ${CLIENT_ID}
    client_secret: ${CLIENT_SECRET}
    display_name: Test IdP
    groups:
      pki-admins: {roles: [pki_admin]}
      auditors: {roles: [auditor]}
      managers: {roles: [cert_manager]}
`;
}

async function main() {
  await check('the identity provider stand-in starts', async () => {
    const started = await startProcess(python, [double, '--dir', join(work, 'oidc'), '--port', '0'],
      /oidc-double: listening on (http:\/\/127\.0\.0\.1:\d+)/);
    idp = started.child;
    issuer = started.match[1];
  });
  if (!issuer) return;

  await check('the host starts with ui.oidc configured', async () => {
    const dataDir = join(work, 'data');
    mkdirSync(dataDir, { recursive: true });
    const file = join(work, 'signet.yaml');
    writeFileSync(file, config(dataDir));
    const checked = spawnSync(bin, ['config', 'check', file], { encoding: 'utf8' });
    assert(checked.status === 0, `signet config check: ${checked.stdout}${checked.stderr}`);
    const init = spawnSync(bin, ['ca', 'init', '--config', file], { encoding: 'utf8' });
    assert(init.status === 0, `signet ca init: ${init.stdout}${init.stderr}`);
    host = await startSignet(['--config', file]);
    // The redirect URI has the port the host got: register it now.
    await control('POST', '/_double/clients', {
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${host.url}/v1/session/oidc/callback`],
    });
  });
  if (!host) return;

  const browser = await launchBrowser(puppeteer, join(work, 'chromium-profile'));
  try {
    await check('an administrator signs in through the provider and lands where they were going', async () => {
      await control('POST', '/_double/next_login', { sub: 'alice', name: 'Alice Admin', email: 'alice@example.com', groups: ['pki-admins'] });
      const page = watch(await browser.newPage(), 'alice');
      await page.goto(`${host.url}/ui/inventory?status=active`, { waitUntil: 'domcontentloaded' });
      await waitReady(page, 'signin');
      const href = await page.$eval('[data-testid=oidc-sign-in]', (a) => [a.getAttribute('href'), a.textContent.trim()]);
      equal(href, ['/v1/session/oidc/login?return_to=%2Fui%2Finventory%3Fstatus%3Dactive', 'Sign in with Test IdP'], 'the sign-in link');
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('[data-testid=oidc-sign-in]')]);
      await waitReady(page, 'inventory', 20000);
      equal(new URL(page.url()).pathname + new URL(page.url()).search, '/ui/inventory?status=active', 'where they land');
      const session = await page.evaluate(async () => (await fetch('/v1/session', { credentials: 'same-origin' })).json());
      equal([session.user.auth, session.user.roles, session.user.can['cert:revoke']], ['session:oidc', ['pki_admin'], 'all'], 'the session');
      const name = await page.$eval('.user-name', (el) => el.textContent);
      assert(/alice|Alice/.test(name), `the header names the person: ${name}`);
      assertNoProblems(page);
      await page.close();
    });

    await check('an auditor by group may read but not revoke', async () => {
      const context = await browser.createBrowserContext();
      try {
        await control('POST', '/_double/next_login', { sub: 'bob', email: 'bob@example.com', groups: ['auditors'] });
        const page = watch(await context.newPage(), 'bob');
        await page.goto(`${host.url}/ui/`, { waitUntil: 'domcontentloaded' });
        await waitReady(page, 'signin');
        await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('[data-testid=oidc-sign-in]')]);
        await waitReady(page, 'overview', 20000);
        const can = await page.evaluate(async () => (await (await fetch('/v1/session', { credentials: 'same-origin' })).json()).user.can);
        equal([can['audit:read'], can['cert:revoke']], ['all', 'none'], 'auditor grants');
        assert(await page.$('a[href="/ui/audit"]'), 'the audit page is in the navigation');
      } finally {
        await context.close();
      }
    });

    await check('an approver sees what a held request asks for, approves it on the page, and is audited as herself', async () => {
      const signInAs = async (context, who) => {
        await control('POST', '/_double/next_login', who);
        const page = watch(await context.newPage(), who.sub);
        await page.goto(`${host.url}/ui/`, { waitUntil: 'domcontentloaded' });
        await waitReady(page, 'signin');
        await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('[data-testid=oidc-sign-in]')]);
        await waitReady(page, 'overview', 20000);
        return page;
      };
      const carolContext = await browser.createBrowserContext();
      const aliceContext = await browser.createBrowserContext();
      try {
        const carol = await signInAs(carolContext, { sub: 'carol', email: 'carol@example.com', groups: ['managers'] });
        const held = await carol.evaluate(async () => {
          const session = await (await fetch('/v1/session', { credentials: 'same-origin' })).json();
          const answer = await fetch('/v1/certificates', {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
            body: JSON.stringify({ common_name: 'held.example.com', sans: { dns: ['held.example.com', 'www.held.example.com'] }, profile: 'guarded' }),
          });
          return { status: answer.status, body: await answer.json() };
        });
        equal([held.status, held.body.status], [202, 'pending_approval'], 'the request is held');
        const requestId = held.body.request_id;

        const alice = await signInAs(aliceContext, { sub: 'alice', email: 'alice@example.com', groups: ['pki-admins'] });
        await alice.goto(`${host.url}/ui/requests?status=pending_approval`, { waitUntil: 'domcontentloaded' });
        await waitReady(alice, 'requests');
        const row = `[data-testid=request-row][data-id="${requestId}"]`;
        await alice.waitForSelector(row, { timeout: 5000 });
        const subject = await alice.$eval(`${row} [data-testid=request-subject]`, (td) => td.textContent.replace(/\s+/g, ' ').trim());
        assert(subject.includes('held.example.com') && subject.includes('+1') && subject.includes('guarded') && subject.includes('oidc:carol'),
          `the row says what is asked and by whom: ${subject}`);
        await alice.click(`${row} [data-testid=approve]`);
        await alice.waitForSelector('[data-testid=confirm-approve]', { visible: true });
        await alice.type('#decision-comment', 'looks right');
        if (process.env.SCREENSHOT_DIR) {  // docs/dashboard.md shows the approval as the approver sees it
          mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
          await alice.setViewport({ width: 1400, height: 700 });
          await alice.screenshot({ path: join(process.env.SCREENSHOT_DIR, 'requests-approval.png') });
        }
        await alice.click('[data-testid=confirm-approve]');
        await alice.waitForFunction(() => /Approved/.test(document.body.innerText), { timeout: 10000 });
        const after = await alice.evaluate(async (id) => (await fetch(`/v1/requests/${id}`, { credentials: 'same-origin' })).json(), requestId);
        equal([after.status, after.approval.decisions.map((d) => [d.principal, d.decision, d.comment])],
          ['succeeded', [['oidc:alice@example.com', 'approve', 'looks right']]], 'approved and issued');
        const audit = await alice.evaluate(async (id) => (await fetch(`/v1/audit?object=${id}&limit=50`, { credentials: 'same-origin' })).json(), requestId);
        const decision = (audit.items || []).find((e) => /approv/.test(e.action));
        assert(decision && decision.principal === 'oidc:alice@example.com', `the decision is audited as alice: ${JSON.stringify(audit.items && audit.items.map((e) => [e.action, e.principal]))}`);
        assertNoProblems(alice);
      } finally {
        await carolContext.close();
        await aliceContext.close();
      }
    });

    await check('a refusal at the provider leaves the person signed out, with a message', async () => {
      const context = await browser.createBrowserContext();
      try {
        await control('POST', '/_double/next_login', { deny: true, error_description: 'the person said no' });
        const page = watch(await context.newPage(), 'denied');
        await page.goto(`${host.url}/ui/`, { waitUntil: 'domcontentloaded' });
        await waitReady(page, 'signin');
        await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('[data-testid=oidc-sign-in]')]);
        const text = await page.evaluate(() => document.body.innerText);
        assert(/did not sign you in/.test(text), `the page says why: ${text.slice(0, 200)}`);
        // That page allows no scripts or fetches (its CSP); the dashboard tells.
        await page.goto(`${host.url}/ui/`, { waitUntil: 'domcontentloaded' });
        await waitReady(page, 'signin');
      } finally {
        await context.close();
      }
    });
  } finally {
    await browser.close();
  }
}

const guard = setTimeout(() => {
  console.log('not ok - the test did not finish within 180 s');
  for (const child of [host && host.child, idp]) if (child) child.kill('SIGKILL');
  process.exit(1);
}, 180000);

try {
  await main();
} catch (err) {
  runner.fail(err && err.stack ? err.stack : String(err));
} finally {
  clearTimeout(guard);
  if (host) await stopProcess(host.child);
  await stopProcess(idp);
  if (runner.counts.failed === 0) rmSync(work, { recursive: true, force: true });
  console.log(runner.summary());
  process.exit(runner.counts.failed === 0 ? 0 : 1);
}
