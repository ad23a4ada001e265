// What the browser tests share: where things are, a small check runner that
// prints one line per check and "N passed, N failed", starting signet and
// reading its URL, calling the API, launching Chromium, and page helpers
// (waiting for a page's data, axe-core, problems the page logged).
//
// Environment: SIGNET_BIN (default build/bin/signet), CHROMIUM (default
// /usr/bin/chromium), SIGNET_WEB_DIR (where node_modules is; default web/).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const webDir = resolve(process.env.SIGNET_WEB_DIR || join(repo, 'web'));
export const bin = resolve(process.env.SIGNET_BIN || join(repo, 'build', 'bin', 'signet'));
export const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

const require = createRequire(join(webDir, 'package.json'));

/** puppeteer-core and axe-core from web/node_modules; exits with a message when missing. */
export function tools(name) {
  try {
    return {
      puppeteer: require('puppeteer-core'),
      axeSource: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'),
    };
  } catch (err) {
    console.error(`${name}: puppeteer-core and axe-core are not installed in ${webDir} (run "npm ci" there): ${err.message}`);
    process.exit(1);
  }
}

export function requireFiles(name, files) {
  for (const [what, path] of files) {
    if (!existsSync(path)) {
      console.error(`${name}: no ${what} at ${path}`);
      process.exit(1);
    }
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- checks
export class Skip extends Error {}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function equal(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function createRunner() {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  let number = 0;
  return {
    counts,
    async check(name, fn) {
      number += 1;
      const started = Date.now();
      try {
        await fn();
        counts.passed += 1;
        console.log(`ok ${number} - ${name} (${Date.now() - started} ms)`);
        return true;
      } catch (err) {
        if (err instanceof Skip) {
          counts.skipped += 1;
          console.log(`ok ${number} - ${name} # SKIP ${err.message}`);
          return false;
        }
        counts.failed += 1;
        console.log(`not ok ${number} - ${name}: ${err && err.message ? err.message : err}`);
        if (process.env.VERBOSE && err && err.stack) console.log(err.stack.replace(/^/gm, '    '));
        return false;
      }
    },
    fail(message) {
      counts.failed += 1;
      console.log(`not ok - ${message}`);
    },
    summary() {
      return `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
    },
  };
}

// ---------------------------------------------------------------- processes
/**
 * Starts a program and waits for the first stdout match of `pattern`;
 * resolves { child, match, log() } (log: stdout and stderr, the tail).
 */
export function startProcess(command, args, pattern, { timeoutMs = 30000, env } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
  let log = '';
  const keep = (d) => {
    log += d;
    if (log.length > 200000) log = log.slice(-100000);
  };
  child.stderr.on('data', keep);
  return new Promise((resolvePromise, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms; its output:\n${log.slice(-4000)}`));
    }, timeoutMs);
    let out = '';
    child.stdout.on('data', (d) => {
      keep(d);
      out += d;
      const found = pattern.exec(out);
      if (found && !done) {
        done = true;
        clearTimeout(timer);
        resolvePromise({ child, match: found, log: () => log });
      }
    });
    child.on('error', (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${command} could not be started: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) too early; its output:\n${log.slice(-4000)}`));
    });
  });
}

export async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** signet serve ARGS; resolves { child, url, log() } once it says where it listens. */
export async function startSignet(args, options) {
  const started = await startProcess(bin, ['serve', ...args], /signet: listening on (https?:\/\/127\.0\.0\.1:\d+)/, options);
  return { child: started.child, url: started.match[1], log: started.log };
}

// ---------------------------------------------------------------- the API
/** call(method, path, body, token) → { status, body }; api(...) throws on 4xx/5xx. */
export function apiClient(base, caPem, defaultToken) {
  const call = (method, path, body, token = defaultToken) => new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(`${base}${path}`, {
      method,
      ca: caPem,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        Accept: 'application/json',
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = text; }
        resolvePromise({ status: res.statusCode, body: json });
      });
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    if (payload) req.write(payload);
    req.end();
  });
  const api = async (method, path, body, token) => {
    const answer = await call(method, path, body, token);
    if (answer.status >= 400) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  return { call, api };
}

// ---------------------------------------------------------------- the browser
export function launchBrowser(puppeteer, profileDir) {
  return puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // Without the background-networking flags Chromium keeps calling out
    // to Google's services, which this machine cannot reach.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--ignore-certificate-errors', '--disable-dev-shm-usage',
      `--user-data-dir=${profileDir}`],
  });
}

const pageProblems = new WeakMap();

/** Collects page errors and CSP refusals of `page`; assertNoProblems() reports them. */
export function watch(page, label) {
  const problems = [];
  pageProblems.set(page, problems);
  page.on('pageerror', (err) => problems.push(`${label}: page error: ${err.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(text)) problems.push(`${label}: CSP: ${text}`);
    else if (message.type() === 'error' && /SyntaxError|TypeError|ReferenceError|is not defined/.test(text)) problems.push(`${label}: ${text}`);
  });
  return page;
}

export function assertNoProblems(page) {
  const problems = pageProblems.get(page) || [];
  if (problems.length) throw new Error(problems.splice(0).join('; '));
}

/** The page named `name` has loaded its data for the current URL (document.body.dataset). */
export async function waitReady(page, name, timeout = 15000) {
  try {
    await page.waitForFunction(
      (n) => document.body.dataset.page === n && document.body.dataset.ready === '1' &&
        document.body.dataset.readyUrl === location.pathname + location.search,
      { timeout, polling: 50 },
      name,
    );
  } catch {
    const state = await page.evaluate(() => ({ ...document.body.dataset, url: location.href,
      text: (document.querySelector('main') || document.body).innerText.slice(0, 300) }));
    throw new Error(`page ${name} was not ready in ${timeout} ms: ${JSON.stringify(state)}`);
  }
}

/** After an in-page navigation: the URL has every one of `has` and none of `lacks`, and its data is loaded. */
export async function waitSettled(page, has = [], lacks = [], timeout = 10000) {
  try {
    await page.waitForFunction(
      (want, not) => want.every((w) => location.search.includes(w)) && not.every((w) => !location.search.includes(w)) &&
        document.body.dataset.ready === '1' && document.body.dataset.readyUrl === location.pathname + location.search,
      { timeout, polling: 50 },
      has, lacks,
    );
  } catch {
    const state = await page.evaluate(() => ({ ...document.body.dataset, url: location.href }));
    throw new Error(`the page did not settle with ${JSON.stringify(has)} and without ${JSON.stringify(lacks)} in the URL: ${JSON.stringify(state)}`);
  }
}

/** axe-core on the page as it is; throws on serious or critical violations. */
export async function axe(page, axeSource, what) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(axeSource); // evaluate is not subject to the page's CSP
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v));
  if (minor.length) console.log(`#   axe on ${what}: minor: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  if (bad.length) {
    throw new Error(`axe on ${what}: ${bad.map((v) => `${v.id} (${v.impact}: ${v.help}) at ${v.nodes.join(', ')}`).join('; ')}`);
  }
}
