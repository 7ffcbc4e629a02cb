// Browser tests of the dolmetsch web app in headless Chromium, driven by playwright-core.
// scripts/e2e starts `dolmetsch serve` with the fixture model and runs this file; on its own:
//   DOLMETSCH_URL=http://127.0.0.1:8080 SCREENSHOT_DIR=/tmp/shots node --test e2e.test.js
// Every page is photographed into SCREENSHOT_DIR (CI keeps them as artifacts).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = process.env.DOLMETSCH_URL || 'http://127.0.0.1:8080';
const SHOTS = process.env.SCREENSHOT_DIR || path.join(__dirname, '..', '..', 'build', 'e2e-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const GERMAN = 'Der Hund läuft schnell über die Wiese. Die Katze schläft im Haus.\n\n' +
  'Am Abend kommen die Kinder nach Hause. Sie essen Brot und trinken Milch.';
const XSS = [
  '<script>alert("xss-script")</script>',
  '"><img src=x onerror=alert("xss-img")>',
  "' onmouseover='alert(1)' autofocus onfocus='alert(2)' x='",
  'javascript:alert(document.cookie)',
  '</textarea><svg onload=alert("xss-svg")>',
  "'; DROP TABLE translations; --",
];

let browser;
before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // launch() gives every run a fresh temporary --user-data-dir.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});
after(async () => { if (browser) await browser.close(); });

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  return { context, page, dialogs, errors };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

async function translateWithJs(page, text) {
  await page.goto(BASE + '/');
  await page.fill('#text-de', text);
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done' ||
    !document.getElementById('notice').hidden, null, { timeout: 60000 });
}

async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return fs.readFileSync(await file.path(), 'utf8');
}

test('translate with JavaScript: progress, result, counts, copy', async () => {
  const { context, page, errors } = await newPage();
  await page.goto(BASE + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.getAttribute('#text-de', 'lang'), 'de');
  assert.equal(await page.getAttribute('#text-en', 'lang'), 'en');
  await shot(page, '01-translate-empty');
  await page.fill('#text-de', GERMAN);
  assert.match(await page.textContent('#counts'), /^139 characters · 4 sentences$/);
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 60000 });
  const output = await page.textContent('#text-en');
  assert.ok(output.trim().length > 0, 'a translation is shown');
  assert.ok(output.includes('\n\n'), 'paragraphs are kept: ' + JSON.stringify(output));
  assert.equal(await page.getAttribute('#progress-bar', 'value'), await page.getAttribute('#progress-bar', 'max'));
  assert.equal(await page.isVisible('#copy-button'), true);
  assert.equal(await page.inputValue('#text-de'), GERMAN, 'the input stays');
  assert.equal(await page.isVisible('#notice'), false, 'no notice when saving worked');
  await shot(page, '02-translate-result');
  assert.deepEqual(errors, []);
  await context.close();
});

test('history: list, search, entry page, export, delete', async () => {
  const { context, page, errors } = await newPage();
  await translateWithJs(page, 'Das Fahrrad steht im Garten.');
  await translateWithJs(page, 'Die Sonne scheint heute.');
  await page.goto(BASE + '/history');
  assert.match(await page.textContent('.summary'), /^2 translations$/);
  const first = await page.textContent('.history-list li:first-child p[lang="de"]');
  assert.equal(first, 'Die Sonne scheint heute.', 'newest first');
  await shot(page, '03-history');

  await page.fill('#q', 'fahrrad');
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/history\?q=fahrrad/);
  assert.match(await page.textContent('.summary'), /^1 translation matching/);
  assert.equal(await page.textContent('.history-list li p[lang="de"]'), 'Das Fahrrad steht im Garten.');
  await shot(page, '04-history-search');

  const csv = await download(page, 'text=Export CSV');
  assert.match(csv, /^\uFEFF"id","created_at","model","text_de","text_en"\r\n/);
  assert.ok(csv.includes('"Das Fahrrad steht im Garten."'));
  assert.ok(!csv.includes('Sonne'), 'the export holds the search result only');
  const exported = JSON.parse(await download(page, 'text=Export JSON'));
  assert.equal(exported.count, 1);
  assert.equal(exported.translations[0].text_de, 'Das Fahrrad steht im Garten.');

  await page.click('.history-list li .entry-head a');
  await page.waitForURL(/\/history\/\d+$/);
  assert.equal(await page.textContent('.text-block[lang="de"]'), 'Das Fahrrad steht im Garten.');
  await shot(page, '05-entry');
  await page.click('button:has-text("Delete")');
  await page.waitForURL(/\/history$/);
  assert.match(await page.textContent('.summary'), /^1 translation$/);
  await page.goto(BASE + '/history?q=fahrrad');
  assert.match(await page.textContent('.empty'), /Nothing matches/);

  // Another browser (another owner cookie) sees none of it.
  const other = await newPage();
  await other.page.goto(BASE + '/history');
  assert.match(await other.page.textContent('.summary'), /^0 translations$/);
  await shot(other.page, '06-history-empty');
  await other.context.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('XSS payloads trigger no dialog and are shown as text', async () => {
  const { context, page, dialogs } = await newPage();
  for (const payload of XSS) {
    await translateWithJs(page, payload);
    assert.equal(await page.inputValue('#text-de'), payload);
  }
  await page.goto(BASE + '/history');
  const shown = await page.$$eval('.history-list p[lang="de"]', (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual(shown, [...XSS].reverse(), 'stored verbatim, shown as text');
  assert.equal(await page.$$eval('img, svg', (nodes) => nodes.length), 0, 'no injected elements');
  await page.hover('.history-list');
  await shot(page, '07-history-xss');
  const ids = await page.$$eval('.history-list .entry-head a', (links) => links.map((a) => a.getAttribute('href')));
  for (const href of ids) {
    await page.goto(BASE + href);
    await page.mouse.move(300, 300);
  }
  await page.goto(BASE + '/history?q=' + encodeURIComponent('"><script>alert("q")</script>'));
  assert.equal(await page.inputValue('#q'), '"><script>alert("q")</script>');
  // A form POST from JavaScript-free markup with the payload (the no-JS path renders the textarea).
  const nojs = await newPage({ javaScriptEnabled: false });
  await nojs.page.goto(BASE + '/');
  await nojs.page.fill('#text-de', XSS[4]);
  await nojs.page.click('#translate-button');
  await nojs.page.waitForURL(/\/jobs\/\d+$/);  // the form creates a job and shows its page
  await nojs.context.close();
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, [], 'no alert/confirm/prompt was opened');
  await context.close();
});

test('without JavaScript: a plain form POST translates and saves', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  await page.goto(BASE + '/');
  await page.fill('#text-de', 'Guten Morgen. Wie geht es dir?\n\nMir geht es gut.');
  await page.click('#translate-button');
  // The form creates a job: its page refreshes itself (meta refresh) until the job is done.
  await page.waitForURL(/\/jobs\/\d+$/);
  await page.waitForSelector('#job-status[data-status="done"]', { timeout: 60000 });
  const output = await page.textContent('#job-text-en');
  assert.ok(output.trim().length > 0);
  assert.equal(await page.textContent('#job-text-de'), 'Guten Morgen. Wie geht es dir?\n\nMir geht es gut.');
  assert.equal(await page.textContent('a.button[href^="/history/"]'), 'Open in the history');
  await shot(page, '08-nojs-result');
  await page.goto(BASE + '/history');
  assert.match(await page.textContent('.summary'), /^1 translation$/);
  await context.close();
});

test('phone and dark mode render', async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true });
  await translateWithJs(page, GERMAN);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(20, 22, 26)', 'dark palette from prefers-color-scheme');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, 'no horizontal scrolling on a phone');
  await shot(page, '09-phone-dark-translate');
  await page.goto(BASE + '/history');
  await shot(page, '10-phone-dark-history');
  await context.close();
});

// A 5 MB German text (under the 10,000,000-character limit) goes through the page with and without
// JavaScript. Identical sentences are translated once, so the fixture model answers within seconds.
const BIG = 'Grüße aus München. '.repeat(Math.ceil(5e6 / 19));

test('a 5 MB text with JavaScript', async () => {
  const { context, page, errors } = await newPage();
  await page.goto(BASE + '/');
  await page.fill('#text-de', BIG);
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done' ||
    !document.getElementById('notice').hidden, null, { timeout: 180000 });
  assert.equal(await page.isVisible('#notice'), false, await page.textContent('#notice'));
  const length = await page.evaluate(() => document.getElementById('text-en').textContent.length);
  assert.ok(length > 1000000, 'the whole translation is shown: ' + length);
  assert.equal((await page.inputValue('#text-de')).length, BIG.length, 'the input stays');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a 5 MB text without JavaScript', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  await page.goto(BASE + '/');
  await page.fill('#text-de', BIG);
  await page.click('#translate-button');
  await page.waitForURL(/\/jobs\/\d+$/, { timeout: 180000 });
  await page.waitForSelector('#job-status[data-status="done"]', { timeout: 300000 });
  assert.ok((await page.textContent('#job-text-en')).length > 1000000, 'the whole translation is shown');
  assert.equal((await page.textContent('#job-text-de')).length, BIG.length, 'the typed text is kept');
  assert.equal(await page.textContent('a.button[href^="/history/"]'), 'Open in the history');
  await context.close();
});
