// The reader site (examples/reader) in a real browser against a release server.
//
//   MASTHEAD_BIN=target/release/masthead node --test tests/browser/
//
// Starts the server on a free port with a fresh data directory, serves examples/reader from
// another origin, seeds content through the API, reads the pages' API URLs without `Origin`
// (so the browser is then served from the response cache), and drives Debian's Chromium with
// puppeteer-core (no browser is downloaded).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import puppeteer from 'puppeteer-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.resolve(ROOT, process.env.MASTHEAD_BIN || 'target/release/masthead');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SITE_DIR = path.join(ROOT, 'examples', 'reader');
const ADMIN = { email: 'chief@newsroom.example', password: 'a long passphrase for tests' };

// --- Fixtures ------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A valid RGB PNG of `width` × `height`: a diagonal gradient in the given hue. */
function png(width, height, [r, g, b]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const t = ((x + y) % 256) / 255;
      raw.set([r * t, g * t, b * (1 - t)].map(Math.round), row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};
/** A tiny static server for examples/reader. */
function serveSite(port) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '') || 'index.html';
    const file = path.join(SITE_DIR, rel);
    if (!file.startsWith(SITE_DIR + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

// --- The world -----------------------------------------------------------------------------

let server; // the Masthead child process
let serverLog = '';
let dataDir;
let sites = [];
let browser;
let API; // http://127.0.0.1:PORT
let SITE; // the allowed origin
let REFUSED; // an origin not in MASTHEAD_CORS_ORIGINS
let token;
const seeded = {};

function killServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
process.on('exit', killServer);

async function call(method, p, { body, form, headers = {}, auth = true } = {}) {
  const init = { method, headers: { ...headers } };
  if (auth && token) init.headers.authorization = `Bearer ${token}`;
  if (form) init.body = form;
  else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(API + p, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
}
async function ok(method, p, opts, expected = [200, 201]) {
  const res = await call(method, p, opts);
  assert.ok(
    [expected].flat().includes(res.status),
    `${method} ${p} → ${res.status}: ${res.text.slice(0, 500)}`,
  );
  return res;
}

async function waitReady() {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`masthead exited (${server.exitCode}):\n${serverLog}`);
    try {
      if ((await fetch(`${API}/readyz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`masthead did not become ready in 20 s:\n${serverLog}`);
}

async function seed() {
  token = (await ok('POST', '/v1/auth/login', { body: ADMIN, auth: false })).json.access_token;
  const writer = (
    await ok('POST', '/v1/users', {
      body: {
        email: 'reporter@newsroom.example',
        display_name: 'Iryna Bondar',
        role: 'writer',
        password: 'reporter passphrase long',
      },
    })
  ).json;

  // Two photos, 900 × 600 (3:2), so renditions exist; alt text and credit set by PATCH.
  const images = [];
  for (const [name, hue, alt, credit] of [
    ['bridge.png', [200, 120, 40], 'Scaffolding under the old stone bridge', 'Photo: City Desk'],
    ['council.png', [40, 120, 200], 'The council chamber during the vote', 'Photo: Archive'],
  ]) {
    const form = new FormData();
    form.append('file', new Blob([png(900, 600, hue)], { type: 'image/png' }), name);
    const up = await ok('POST', '/v1/images', { form });
    const etag = up.headers.get('etag');
    const patched = await ok('PATCH', `/v1/images/${up.json.id}`, {
      body: { alt_text: alt, credit },
      headers: { 'if-match': etag || '*' },
    });
    images.push({ ...patched.json, alt, credit });
  }
  const [bridgePhoto, councilPhoto] = images;

  const make = async (title, standfirst, body, featured) =>
    (
      await ok('POST', '/v1/articles', {
        body: { title, standfirst, body, authors: [writer.id], featured_image: { image_id: featured.id } },
      })
    ).json;

  const lead = await make(
    'Bridge repairs start on Monday',
    'Traffic will be diverted for three weeks.',
    [
      { type: 'paragraph', text: 'Engineers found *corrosion* in two spans of the old bridge.' },
      { type: 'paragraph', text: 'The council says the work will take three weeks and cost 2.4 million.' },
      { type: 'image', image_id: councilPhoto.id },
      { type: 'paragraph', text: 'Buses will use the ring road until the bridge reopens.' },
    ],
    bridgePhoto,
  );
  const featuredCaption = (
    await ok('POST', '/v1/captions', {
      body: {
        image_id: bridgePhoto.id,
        article_id: lead.id,
        text: 'Scaffolding went up on Friday.',
        illustrative: true,
      },
    })
  ).json;
  const bodyCaption = (
    await ok('POST', '/v1/captions', {
      body: {
        image_id: councilPhoto.id,
        article_id: lead.id,
        text: 'Councillors approved the budget on Wednesday.',
        credit: 'Photo: Council press office',
      },
    })
  ).json;
  const leadBody = lead.body.map((b) =>
    b.type === 'image' ? { ...b, caption_id: bodyCaption.id } : b,
  );
  await ok('PATCH', `/v1/articles/${lead.id}`, {
    body: {
      featured_image: { image_id: bridgePhoto.id, caption_id: featuredCaption.id },
      body: leadBody,
    },
    headers: { 'if-match': '*' },
  });

  const second = await make(
    'Council approves new budget',
    'Libraries and buses get more money.',
    [{ type: 'paragraph', text: 'The vote was 31 to 12.' }],
    councilPhoto,
  );
  const third = await make(
    'River festival returns in June',
    'Boats, music and a night market.',
    [{ type: 'paragraph', text: 'Organisers expect twenty thousand visitors.' }],
    bridgePhoto,
  );
  // Briefs published first (older), so a full front page holds 20 cards and a 21st is left
  // for the next page.
  const briefs = [];
  for (let n = 1; n <= 18; n++) {
    briefs.push(
      await make(
        `Morning briefing ${n}`,
        `What you need to know, part ${n}.`,
        [{ type: 'paragraph', text: `Brief number ${n}.` }],
        n % 2 ? bridgePhoto : councilPhoto,
      ),
    );
  }
  for (const a of [...briefs, second, third, lead]) await ok('POST', `/v1/articles/${a.id}/publish`);

  // A reader's report, accepted with a public note: the article's corrections log.
  const report = await ok(
    'POST',
    `/v1/articles/${lead.id}/corrections`,
    { body: { quote: 'cost 2.4 million', suggestion: 'It will cost 2.6 million.' }, auth: false },
    202,
  );
  const rpath = `/v1/corrections/${report.json.id}`;
  let tag = (await ok('GET', rpath)).headers.get('etag');
  const publicNote = 'An earlier version gave the cost as 2.4 million; it is 2.6 million.';
  for (const change of [{ status: 'triaged' }, { status: 'accepted', public_note: publicNote }]) {
    tag = (await ok('PATCH', rpath, { body: change, headers: { 'if-match': tag } })).headers.get('etag');
  }

  Object.assign(seeded, {
    writer,
    bridgePhoto,
    councilPhoto,
    lead: { ...lead, slug: lead.slug },
    titles: [lead.title, second.title, third.title],
    standfirsts: [lead.standfirst, second.standfirst, third.standfirst],
    featuredCaption,
    bodyCaption,
    publicNote,
  });
}

/** The URLs the pages fetch, read twice without `Origin`: the cache stores each on the second. */
const LIST_URL = '/v1/articles?limit=20';
const articleUrl = () => `/v1/articles/${seeded.lead.slug}`;
async function warmCache() {
  for (const url of [LIST_URL, articleUrl()]) {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(API + url); // Node's fetch sends no Origin header
      assert.equal(res.status, 200, `warming ${url}`);
      await res.arrayBuffer();
    }
  }
}

before(async () => {
  assert.ok(statSync(BIN, { throwIfNoEntry: false })?.isFile(), `no server binary at ${BIN} (set MASTHEAD_BIN)`);
  const [apiPort, sitePort, refusedPort] = [await freePort(), await freePort(), await freePort()];
  API = `http://127.0.0.1:${apiPort}`;
  SITE = `http://127.0.0.1:${sitePort}`;
  REFUSED = `http://127.0.0.1:${refusedPort}`;
  dataDir = mkdtempSync(path.join(tmpdir(), 'masthead-browser-'));
  server = spawn(BIN, [], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME || dataDir,
      MASTHEAD_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite://${path.join(dataDir, 'masthead.db')}`,
      MASTHEAD_BIND: `127.0.0.1:${apiPort}`,
      MASTHEAD_ADMIN_EMAIL: ADMIN.email,
      MASTHEAD_ADMIN_PASSWORD: ADMIN.password,
      MASTHEAD_CORS_ORIGINS: SITE,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [server.stdout, server.stderr]) s.on('data', (d) => (serverLog += d));
  sites = [await serveSite(sitePort), await serveSite(refusedPort)];
  await waitReady();
  await seed();
  await warmCache();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    defaultViewport: { width: 1280, height: 2400 },
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const s of sites) {
    s.closeAllConnections();
    s.close();
  }
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    killServer();
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// --- Browser helpers -----------------------------------------------------------------------

/** A page that records its requests for data to the API (under /v1/, image files aside). */
async function openPage() {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const apiRequests = [];
  const apiResponses = [];
  const consoleErrors = [];
  const isData = (u) => {
    const url = new URL(u);
    return url.origin === API && url.pathname.startsWith('/v1/') && !/^\/v1\/images\/[^/]+\/file$/.test(url.pathname);
  };
  page.on('request', (r) => isData(r.url()) && apiRequests.push(`${r.method()} ${r.url().slice(API.length)}`));
  page.on('response', (r) => isData(r.url()) && apiResponses.push(r));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return { page, apiRequests, apiResponses, consoleErrors };
}

/** Waits for the page script to finish; fails with what the page shows when it could not. */
async function loaded(page, consoleErrors) {
  await page.waitForSelector('body[data-ready]');
  const ready = await page.$eval('body', (b) => b.dataset.ready);
  if (ready !== 'true') {
    const shown = await page.$eval('#status', (s) => s.textContent.trim());
    assert.fail(`the page could not load its data: "${shown}"; console: ${consoleErrors.join(' | ')}`);
  }
}

/** Waits until every <img> matched is decoded, and returns what each looks like. */
async function images(page, selector) {
  await page.$$eval(selector, (imgs) => imgs.forEach((i) => i.scrollIntoView()));
  await page
    .waitForFunction(
      (sel) => [...document.querySelectorAll(sel)].every((i) => i.complete && i.naturalWidth > 0),
      { timeout: 10_000 },
      selector,
    )
    .catch(() => {});
  return page.$$eval(selector, (imgs) =>
    imgs.map((i) => ({
      src: i.currentSrc || i.src,
      srcset: i.getAttribute('srcset'),
      sizes: i.getAttribute('sizes'),
      width: i.getAttribute('width'),
      height: i.getAttribute('height'),
      alt: i.getAttribute('alt'),
      naturalWidth: i.naturalWidth,
    })),
  );
}

const visibleText = (page, selector) =>
  page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' ? el.textContent.trim() : null;
  });

let tab; // the reader's tab, shared by the tests that follow one another

/** With READER_SCREENSHOTS=DIR, saves what the reader sees (for a person to look at). */
async function snapshot(page, name) {
  const dir = process.env.READER_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(path.resolve(dir), `${name}.png`), fullPage: true });
}

// --- Tests ---------------------------------------------------------------------------------

test('the API sends what a page renders (Picture in list and article, figures in body_html)', async () => {
  const list = (await ok('GET', LIST_URL, { auth: false })).json;
  const card = list.items.find((i) => i.slug === seeded.lead.slug);
  assert.ok(card, 'the lead story is listed');
  const pic = card.featured_image;
  assert.equal(pic.image_id, seeded.bridgePhoto.id);
  assert.match(String(pic.url), /^http:\/\/127\.0\.0\.1:\d+\/v1\/images\/.+\/file$/, 'absolute original URL in the card');
  assert.equal(pic.alt_text, seeded.bridgePhoto.alt);
  assert.equal(pic.caption, seeded.featuredCaption.text);
  assert.equal(pic.credit, 'Photo: City Desk');
  assert.equal(pic.illustrative, true);
  assert.equal(pic.width, 900);
  assert.equal(pic.height, 600);
  assert.ok(Array.isArray(pic.renditions) && pic.renditions.length >= 2, 'renditions in the card');
  for (const r of pic.renditions) {
    assert.match(r.url, /^http:\/\//, 'absolute rendition URL');
    assert.equal(r.height, Math.round((r.width * 600) / 900), `true height of the ${r.width} px rendition`);
  }
  const article = (await ok('GET', articleUrl(), { auth: false })).json;
  assert.equal(article.featured_image.caption, seeded.featuredCaption.text);
  assert.match(article.body_html, /<figure[^>]*>\s*<img [^>]*srcset="[^"]+"[^>]*>\s*<figcaption>/, 'body image rendered as a figure');
  assert.ok(article.body_html.includes(seeded.bodyCaption.text), 'body figure has its caption');
  assert.ok(article.body_html.includes('Photo: Council press office'), 'body figure has its credit');
});

test('front page: cards with loaded thumbnails from one API request, served from the cache', async () => {
  tab = await openPage();
  const { page, apiRequests, apiResponses, consoleErrors } = tab;
  await page.goto(`${SITE}/index.html?api=${encodeURIComponent(API)}`);
  await loaded(page, consoleErrors);

  const cards = await page.$$eval('#cards .card', (els) =>
    els.map((c) => ({
      title: c.querySelector('h2')?.textContent.trim(),
      href: c.querySelector('h2 a')?.getAttribute('href'),
      standfirst: c.querySelector('.standfirst')?.textContent.trim(),
      byline: c.querySelector('.byline')?.textContent.trim(),
    })),
  );
  assert.equal(cards.length, 20, 'a full page of 20 cards');
  assert.deepEqual(cards.slice(0, 3).map((c) => c.title).sort(), [...seeded.titles].sort(), 'newest first');
  assert.deepEqual(cards.slice(0, 3).map((c) => c.standfirst).sort(), [...seeded.standfirsts].sort());
  assert.ok(!cards.some((c) => c.title === 'Morning briefing 1'), 'the oldest of 21 is on the next page');
  for (const c of cards) {
    assert.equal(c.byline, 'By Iryna Bondar');
    assert.match(c.href, /^article\.html\?slug=/);
  }

  const thumbs = await images(page, '#cards .card img');
  assert.equal(thumbs.length, cards.length, 'one thumbnail per card');
  const alts = new Set([seeded.bridgePhoto.alt, seeded.councilPhoto.alt]);
  for (const t of thumbs) {
    assert.ok(t.naturalWidth > 0, `thumbnail loaded: ${t.src}`);
    assert.ok(alts.has(t.alt), `alt text from the API: ${t.alt}`);
    assert.match(t.srcset ?? '', /\?w=\d+ \d+w/, 'srcset lists the renditions');
    assert.equal(`${t.width}x${t.height}`, '900x600', 'intrinsic size from the API');
  }

  await snapshot(page, 'front');
  assert.deepEqual(apiRequests, [`GET ${LIST_URL}`], 'exactly one API request for the data');
  const res = apiResponses.find((r) => r.url().endsWith(LIST_URL));
  assert.equal(res.headers()['x-cache'], 'hit', 'the browser was served from the cache');
  assert.equal(res.headers()['access-control-allow-origin'], SITE);
  assert.match(res.headers().vary ?? '', /\borigin\b/i, 'Vary: Origin, for caches downstream');
  assert.deepEqual(consoleErrors, []);
});

test('article page: headline, byline, body, featured picture, caption, credit, corrections', async () => {
  assert.ok(tab, 'the front page test opened the tab');
  const { page, apiRequests, apiResponses, consoleErrors } = tab;
  apiRequests.length = 0;
  apiResponses.length = 0;
  consoleErrors.length = 0;
  // No ?api= this time: the tab remembers the API from the front page.
  await page.goto(`${SITE}/article.html?slug=${encodeURIComponent(seeded.lead.slug)}`);
  await loaded(page, consoleErrors);
  assert.deepEqual(apiRequests, [`GET ${articleUrl()}`], 'exactly one API request for the data');
  assert.equal(apiResponses[0].headers()['x-cache'], 'hit', 'the browser was served from the cache');
  assert.equal(apiResponses[0].headers()['access-control-allow-origin'], SITE);

  assert.equal(await visibleText(page, '#headline'), 'Bridge repairs start on Monday');
  assert.equal(await visibleText(page, '#standfirst'), 'Traffic will be diverted for three weeks.');
  assert.equal(await visibleText(page, '#byline'), 'By Iryna Bondar');
  const body = await visibleText(page, '#body');
  assert.ok(body?.includes('Engineers found corrosion in two spans'), `body text: ${body}`);
  assert.ok(body.includes('Buses will use the ring road'), 'the whole body');
  assert.equal(await page.title(), 'Bridge repairs start on Monday · Masthead reader');

  const [featured] = await images(page, '#featured figure img');
  assert.ok(featured, 'a featured image');
  assert.ok(featured.naturalWidth > 0, `featured image loaded: ${featured.src}`);
  assert.equal(featured.alt, seeded.bridgePhoto.alt);
  assert.equal(`${featured.width}x${featured.height}`, '900x600');
  assert.ok(featured.sizes, 'sizes set');
  const candidates = featured.srcset.split(',').map((s) => s.trim().split(/\s+/));
  assert.ok(candidates.length >= 3, `srcset has the renditions and the original: ${featured.srcset}`);
  for (const [url, w] of candidates) {
    assert.ok(url.startsWith(`${API}/v1/images/${seeded.bridgePhoto.id}/file`), url);
    assert.match(w, /^\d+w$/);
  }
  assert.equal(await visibleText(page, '#featured figcaption .caption'), seeded.featuredCaption.text);
  assert.equal(await visibleText(page, '#featured figcaption .credit'), 'Photo: City Desk');
  assert.equal(await visibleText(page, '#featured figcaption .illustrative'), '(Illustrative image)');

  const [figureImg] = await images(page, '#body figure img');
  assert.ok(figureImg, 'the body image block is a figure with an img');
  assert.ok(figureImg.naturalWidth > 0, `body image loaded: ${figureImg.src}`);
  assert.ok(figureImg.srcset, 'body image has a srcset');
  assert.equal(figureImg.alt, seeded.councilPhoto.alt);
  const figcaption = await visibleText(page, '#body figure figcaption');
  assert.ok(figcaption?.includes(seeded.bodyCaption.text), `body figcaption: ${figcaption}`);
  assert.ok(figcaption.includes('Photo: Council press office'), `body credit: ${figcaption}`);

  await snapshot(page, 'article');
  assert.equal(await visibleText(page, '#corrections h2'), 'Corrections');
  const log = await visibleText(page, '#corrections-list');
  assert.ok(log?.includes(seeded.publicNote), `corrections log: ${log}`);
  assert.deepEqual(consoleErrors, []);
});

/** Selects `phrase` in the first text node of the story that has it, with a DOM Range. */
async function select(page, phrase) {
  const found = await page.evaluate((phrase) => {
    const walker = document.createTreeWalker(document.getElementById('story'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.data.indexOf(phrase);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(n, at);
      range.setEnd(n, at + phrase.length);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      return sel.toString();
    }
    return null;
  }, phrase);
  assert.equal(found, phrase, `selected "${phrase}"`);
}

async function report(page, phrase, suggestion) {
  const ready = await page.$eval('body', (b) => b.dataset.ready);
  assert.equal(ready, 'true', 'the story is on the page (the article test loads it)');
  await select(page, phrase);
  await page.keyboard.down('Control');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
  await page.waitForSelector('#report[open]');
  assert.equal(await visibleText(page, '#report-quote'), phrase, 'the dialog shows the quote');
  if (suggestion) await page.type('#report-suggestion', suggestion);
  await page.click('#report-send');
  await page.waitForSelector('#report-status.thanks, #report-status.error');
  await snapshot(page, `report-${suggestion ? 'suggestion' : 'flag'}`);
  return page.$eval('#report-status', (s) => ({ ok: s.classList.contains('thanks'), text: s.textContent }));
}

async function storedReport(quote) {
  const queue = (await ok('GET', `/v1/corrections?article_id=${seeded.lead.id}`)).json;
  return queue.items.find((r) => r.quote === quote);
}

test('report flow: select words, Ctrl+Enter, suggest, send', async () => {
  assert.ok(tab, 'the article test opened the story');
  const { page } = tab;
  const phrase = 'take three weeks';
  const result = await report(page, phrase, 'take four weeks');
  assert.ok(result.ok, `thank-you shown, got: ${result.text}`);
  assert.match(result.text, /thank you/i);
  const stored = await storedReport(phrase);
  assert.ok(stored, 'the editors see the report');
  assert.equal(stored.suggestion, 'take four weeks');
  assert.equal(stored.status, 'new');
  assert.equal(stored.quote_found, true, 'the quote was found in the article');
  await page.click('#report-cancel');
  await page.waitForFunction(() => !document.getElementById('report').open);
});

test('report flow: a reader may just flag words in a caption, without a suggestion', async () => {
  assert.ok(tab, 'the article test opened the story');
  const { page } = tab;
  const phrase = 'approved the budget on Wednesday'; // in the body figure's caption
  const result = await report(page, phrase, null);
  assert.ok(result.ok, `thank-you shown, got the problem's detail: ${result.text}`);
  const stored = await storedReport(phrase);
  assert.ok(stored, 'the editors see the report');
  assert.equal(stored.suggestion, null, 'no suggestion');
  assert.equal(stored.quote_found, true, 'a quote in a caption is found');
  assert.equal(stored.quote_location?.field, 'caption');
  await page.click('#report-cancel');
});

test('a preflight asking for headers browsers and frameworks add succeeds', async () => {
  assert.ok(tab, 'the reader tab is open');
  const status = await tab.page.evaluate(async (url) => {
    try {
      const res = await fetch(url, { headers: { 'x-request-id': 'reader-1', 'cache-control': 'no-cache' } });
      return res.status;
    } catch (e) {
      return String(e);
    }
  }, API + LIST_URL);
  assert.equal(status, 200);
});

test('a page on an origin not allowed cannot read the API (cached and uncached URLs)', async () => {
  const { page, consoleErrors } = await openPage();
  await page.goto(`${REFUSED}/index.html?api=${encodeURIComponent(API)}`);
  await page.waitForSelector('body[data-ready]');
  assert.equal(await page.$eval('body', (b) => b.dataset.ready), 'error');
  assert.match(await visibleText(page, '#status [role=alert]'), /could not be loaded/);
  assert.ok(consoleErrors.some((e) => /CORS|Access-Control/i.test(e)), `a CORS error: ${consoleErrors}`);
  for (const url of [LIST_URL, '/v1/articles?limit=3']) {
    const outcome = await page.evaluate(async (u) => {
      try {
        await fetch(u);
        return 'read';
      } catch (e) {
        return e.name;
      }
    }, API + url);
    assert.equal(outcome, 'TypeError', `${url} is refused to ${REFUSED}`);
  }
  await page.close();
});
