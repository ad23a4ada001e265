#!/usr/bin/env node
// Lays out the dashboard for the host to serve at /ui/:
//
//   node web/copy-vendor.mjs OUTDIR
//
// copies web/src/* to OUTDIR and writes OUTDIR/vendor/{preact,hooks,htm}.mjs
// from web/node_modules. There is no bundler: the browser loads these ES
// modules as they are, so the one bare import among them ("preact" in the
// hooks module) is rewritten to the relative "./preact.mjs".
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const modules = process.env.SIGNET_WEB_NODE_MODULES || join(here, 'node_modules');

const out = process.argv[2];
if (!out) {
  console.error('usage: node web/copy-vendor.mjs OUTDIR');
  process.exit(2);
}
const outDir = resolve(out);

// [file in node_modules, name under vendor/, rewrite]
const vendor = [
  ['preact/dist/preact.module.js', 'preact.mjs', (text) => text],
  ['preact/hooks/dist/hooks.module.js', 'hooks.mjs', rewritePreactImport],
  ['htm/dist/htm.module.js', 'htm.mjs', (text) => text],
];

function rewritePreactImport(text) {
  // Minified: import{options as n}from"preact"; keep any spacing/quotes.
  const rewritten = text.replace(/(\bfrom\s*)(["'])preact\2/g, '$1$2./preact.mjs$2');
  if (rewritten === text) throw new Error('hooks: found no import from "preact" to rewrite');
  return rewritten;
}

function fail(message) {
  console.error(`copy-vendor: ${message}`);
  process.exit(1);
}

if (!existsSync(join(src, 'index.html'))) fail(`no ${join(src, 'index.html')}`);
for (const [file] of vendor) {
  if (!existsSync(join(modules, file))) fail(`no ${join(modules, file)}: run "npm ci" in web/ first`);
}

mkdirSync(outDir, { recursive: true });
// Old files of an earlier layout would still be served: start clean.
for (const stale of ['vendor', 'pages', 'components']) rmSync(join(outDir, stale), { recursive: true, force: true });
cpSync(src, outDir, { recursive: true, filter: (path) => !path.endsWith('~') && !path.endsWith('.swp') });

mkdirSync(join(outDir, 'vendor'), { recursive: true });
for (const [file, name, rewrite] of vendor) {
  let text = readFileSync(join(modules, file), 'utf8');
  // Source maps are not shipped: drop the reference so browsers don't ask for it.
  text = text.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, '\n');
  writeFileSync(join(outDir, 'vendor', name), rewrite(text));
}
console.log(`copy-vendor: dashboard written to ${outDir}`);
