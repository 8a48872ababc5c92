#!/usr/bin/env node
// Open a page in headless Chromium (driven by playwright-core), wait until the
// BigGAN demo reports <body data-status="ready"> (or "error"), take a
// screenshot and measure the pixels of every <canvas>.
//
// Usage:
//   node render_page.mjs --url URL --screenshot PNG --result JSON \
//        [--chromium /usr/bin/chromium] [--timeout_ms 120000] [--resolve_from DIR]
//        [--pixels true] [--search TEXT] [--repeat N]
//
// Writes JSON: {"status", "status_text", "demo", "canvases": [{"width",
// "height", "min", "max", "mean", "std", "distinct"}], "console": [...]}.
// Pixel statistics are over the RGB channels, in 0..255; with --pixels true
// each canvas also carries "rgb", its row-major RGB bytes (alpha dropped).
// --search types TEXT into the class search box, records the classes left in
// the picker ("search": {"query", "shown", "picked"}) and presses Enter, which
// picks the first match and draws it. --repeat clicks Resample N more times
// and records each grid's milliseconds ("repeat_ms").
//
// The browser gets a fresh --user-data-dir (removed afterwards) and flags that
// keep it off the network: nothing outside 127.0.0.1 is needed.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

function parseArgs(argv) {
  const args = {chromium: '/usr/bin/chromium', timeout_ms: '120000'};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}".`);
    const eq = arg.indexOf('=');
    if (eq >= 0) args[arg.slice(2, eq)] = arg.slice(eq + 1);
    else args[arg.slice(2)] = argv[++i];
  }
  for (const required of ['url', 'screenshot', 'result']) {
    if (!args[required]) {
      throw new Error(`Missing --${required}. Usage: node render_page.mjs --url URL ` +
                      '--screenshot PNG --result JSON [--chromium PATH]');
    }
  }
  return args;
}

function loadPlaywright(resolveFrom) {
  const base = resolveFrom ?
      path.join(path.resolve(resolveFrom), 'noop.js') : import.meta.url;
  try {
    return createRequire(base)('playwright-core');
  } catch (err) {
    throw new Error('Cannot load playwright-core (' + err.message.split('\n')[0] + '). ' +
                    'Install it with `npm ci` in the repository root.');
  }
}

/** Runs in the page: RGB statistics (and optionally RGB values) of each canvas. */
function canvasStats(withPixels) {
  return Array.from(document.querySelectorAll('canvas')).map((canvas) => {
    const {width, height} = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    let min = 255;
    let max = 0;
    let sum = 0;
    let sumSq = 0;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4) {
      for (let c = 0; c < 3; c++) {
        const v = data[i + c];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        sumSq += v * v;
      }
      seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    const n = Math.max(1, (data.length / 4) * 3);
    const mean = sum / n;
    const stats = {width, height, min, max, mean,
                   std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), distinct: seen.size};
    if (withPixels) stats.rgb = Array.from(data).filter((_, i) => i % 4 !== 3);
    return stats;
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(args.chromium)) {
    throw new Error(`No Chromium at ${args.chromium}; install it with ` +
                    '`apt-get install -y chromium` or pass --chromium PATH.');
  }
  const {chromium} = loadPlaywright(args.resolve_from);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-chromium-'));
  const logs = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: args.chromium,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: {width: 1000, height: 800},
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (msg) => logs.push(`${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (err) => logs.push(`pageerror: ${err.message}`));
    const timeout = Number(args.timeout_ms);
    await page.goto(args.url, {timeout});
    await page.waitForFunction(
        () => ['ready', 'error'].includes(document.body.dataset.status), null, {timeout});
    const rendered = () => page.evaluate(() => (window.bigganDemo || {}).renders || 0);
    const waitForRender = async (count) => page.waitForFunction(
        (n) => document.body.dataset.status === 'error' ||
               (document.body.dataset.status === 'ready' && window.bigganDemo.renders > n),
        count, {timeout});
    let search = null;
    if (args.search && await page.evaluate(() => document.body.dataset.status) === 'ready') {
      await page.fill('#class-search', args.search);
      const shown = await page.evaluate(() => Array.from(
          document.getElementById('class-picker').options)
          .filter((o) => o.value !== '-1' && !o.hidden).map((o) => o.textContent));
      const before = await rendered();
      await page.press('#class-search', 'Enter');
      if (shown.length) await waitForRender(before);
      search = {query: args.search, shown,
                picked: await page.evaluate(() => document.getElementById('class-picker').value)};
    }
    const repeatMs = [];
    for (let i = 0; i < Number(args.repeat || 0); i++) {
      const before = await rendered();
      await page.click('#resample');
      await waitForRender(before);
      repeatMs.push(await page.evaluate(() => window.bigganDemo.lastMs));
    }
    const status = await page.evaluate(() => document.body.dataset.status);
    const statusText = await page.evaluate(() => document.getElementById('status').textContent);
    const demo = await page.evaluate(() => window.bigganDemo || null);
    const canvases = await page.evaluate(canvasStats, args.pixels === 'true');
    fs.mkdirSync(path.dirname(path.resolve(args.screenshot)), {recursive: true});
    await page.screenshot({path: args.screenshot, fullPage: true});
    fs.writeFileSync(args.result, JSON.stringify(
        {status, status_text: statusText, demo, canvases, console: logs, search,
         repeat_ms: repeatMs}, null, 1));
  } finally {
    if (context) await context.close();
    fs.rmSync(userDataDir, {recursive: true, force: true});
  }
}

main().catch((err) => {
  console.error(`render_page.mjs: ${err.message}`);
  process.exit(1);
});
