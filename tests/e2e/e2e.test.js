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

// `acceptDialogs`: answer confirm() with OK (the delete question); otherwise every dialog is dismissed.
async function newPage(options = {}) {
  const { acceptDialogs = false, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, ...contextOptions });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    if (acceptDialogs) await dialog.accept(); else await dialog.dismiss();
  });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  return { context, page, dialogs, errors };
}

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage });
}

async function translateWithJs(page, text) {
  await page.goto(BASE + '/');
  await page.fill('#text-de', text);
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done' ||
    (!document.getElementById('notice').hidden && document.getElementById('translate-button').disabled === false),
  null, { timeout: 60000 });
}

// The job the page follows, from its address (?job=ID).
async function currentJob(page) {
  return new URL(page.url()).searchParams.get('job');
}

async function progressOf(page) {
  return page.evaluate(() => ({
    value: Number(document.getElementById('progress-bar').value),
    max: Number(document.getElementById('progress-bar').max),
    label: document.getElementById('progress-text').textContent,
    english: document.getElementById('text-en').textContent.length,
  }));
}

// German text of about `bytes` bytes whose sentences all differ, also from every other call's (identical
// sentences are translated once, and the translator caches sentences across requests), in paragraphs of
// five sentences.
let textSerial = 0;
function distinctGerman(bytes) {
  const first = ++textSerial * 1000000;
  const nouns = ['Hund', 'Katze', 'Stadt', 'Fluss', 'Garten', 'Lehrer', 'Bahnhof', 'Brief', 'Wald', 'Kind'];
  const verbs = ['sieht', 'findet', 'sucht', 'kennt', 'malt', 'liebt', 'hört', 'baut'];
  const parts = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const sentence = 'Der ' + nouns[i % nouns.length] + ' ' + verbs[(i >> 3) % verbs.length] + ' am Tag ' + (first + i) +
      ' den ' + nouns[(i * 7 + 3) % nouns.length] + '.' + (i % 5 === 4 ? '\n\n' : ' ');
    parts.push(sentence);
    size += Buffer.byteLength(sentence);
  }
  return parts.join('').trim();
}

async function apiJob(page, id) {
  return page.evaluate(async (jobId) => {
    const response = await fetch('/api/jobs/' + jobId, { credentials: 'same-origin' });
    return { status: response.status, body: await response.json() };
  }, id);
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
  // Characters only while typing: the sentence count shown is the server's segmenter's, with the progress.
  assert.match(await page.textContent('#counts'), /^139 characters$/);
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 60000 });
  assert.match(page.url(), /\?job=[A-Za-z0-9_-]+$/, 'the job is kept in the address');
  assert.equal(await page.getAttribute('#progress-bar', 'max'), '4', 'the segmenter counts 4 sentences');
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
  const { context, page, errors, dialogs } = await newPage({ acceptDialogs: true, timezoneId: 'Asia/Kolkata' });
  await translateWithJs(page, 'Das Fahrrad steht im Garten.');
  await translateWithJs(page, 'Die Sonne scheint heute.');
  await page.goto(BASE + '/history');
  assert.match(await page.textContent('.summary'), /^2 translations$/);
  const first = await page.textContent('.history-list li:first-child p[lang="de"]');
  assert.equal(first, 'Die Sonne scheint heute.', 'newest first');
  // Entries are titled by their first words; delete buttons say what they delete; times are local.
  assert.deepEqual(await page.$$eval('.history-list .entry-title', (links) => links.map((a) => a.textContent)),
    ['Die Sonne scheint heute.', 'Das Fahrrad steht im Garten.']);
  assert.equal(await page.getAttribute('.history-list li:first-child button', 'aria-label'),
    'Delete \u201cDie Sonne scheint heute.\u201d');
  const time = await page.$eval('.history-list li:first-child time', (t) => ({ text: t.textContent, title: t.title }));
  assert.match(time.title, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/, 'UTC in the title');
  assert.ok(!time.text.includes('UTC') && time.text.length > 0, 'local time shown: ' + time.text);
  await shot(page, '03-history');

  await page.fill('#q', 'fahrrad');
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/history\?q=fahrrad/);
  assert.match(await page.textContent('.summary'), /^1 translation matching/);
  assert.equal(await page.textContent('.history-list li p[lang="de"]'), 'Das Fahrrad steht im Garten.');
  await shot(page, '04-history-search');

  const csv = await download(page, 'text=Export CSV');
  assert.match(csv, /^\uFEFF"id","created_at","model","text_de","text_en","source","target"\r\n/);
  assert.ok(csv.includes('"Das Fahrrad steht im Garten."'));
  assert.ok(!csv.includes('Sonne'), 'the export holds the search result only');
  const exported = JSON.parse(await download(page, 'text=Export JSON'));
  assert.equal(exported.count, 1);
  assert.equal(exported.translations[0].text_de, 'Das Fahrrad steht im Garten.');

  await page.click('.history-list li .entry-head a');
  await page.waitForURL(/\/history\/\d+$/);
  assert.equal(await page.textContent('.text-block[lang="de"]'), 'Das Fahrrad steht im Garten.');
  assert.equal(await page.textContent('h1'), 'Das Fahrrad steht im Garten.');
  await shot(page, '05-entry');
  await page.click('button:has-text("Delete")');
  await page.waitForURL(/\/history\?deleted=1$/);
  assert.equal(dialogs.length, 1, 'delete asked first');
  assert.match(dialogs[0], /Delete “Das Fahrrad steht im Garten\.”/);
  assert.equal(await page.textContent('.notice.ok'), 'The translation was deleted.');
  assert.match(await page.textContent('.summary'), /^1 translation$/);
  await shot(page, '05b-deleted-notice');
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
  await nojs.page.waitForURL(/\/jobs\/[A-Za-z0-9_-]+$/);
  await nojs.context.close();
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, [], 'no alert/confirm/prompt was opened');
  await context.close();
});

// Polls a page without JavaScript (it reloads itself) until the job page says `wanted`.
async function waitForJobStatus(page, wanted, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    let status = null;
    try { status = await page.getAttribute('#job-status', 'data-status', { timeout: 2000 }); } catch (e) { /* reloading */ }
    if (wanted.includes(status)) {
      await page.waitForLoadState('load');  // a long page is still arriving when its status shows
      return status;
    }
    if (Date.now() > deadline) throw new Error('the job page never showed ' + wanted + ' (last: ' + status + ')');
    await page.waitForTimeout(250);
  }
}

test('without JavaScript: the form answers 303 to a job page that refreshes itself until done', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  const text = distinctGerman(30000);
  await page.goto(BASE + '/');
  await page.fill('#text-de', text);
  const statuses = [];
  page.on('response', (r) => { if (new URL(r.url()).pathname === '/translate') statuses.push(r.status()); });
  let loads = 0;
  page.on('load', () => { loads++; });
  await page.click('#translate-button');
  await page.waitForURL(/\/jobs\/[A-Za-z0-9_-]+$/);
  assert.deepEqual(statuses, [303]);
  const first = await page.getAttribute('#job-status', 'data-status');
  if (first === 'queued' || first === 'running') {
    assert.equal(await page.$$eval('meta[http-equiv="refresh"]', (m) => m.length), 1, 'a running job page refreshes itself');
    await shot(page, '08-nojs-job-running');
  }
  await waitForJobStatus(page, ['done'], 180000);
  assert.ok(loads >= 2 || first === 'done', 'the page reloaded itself while the job ran');
  assert.equal(await page.$$eval('meta[http-equiv="refresh"]', (m) => m.length), 0, 'a finished job page stays');
  const english = await page.textContent('#job-text-en');
  assert.ok(english.trim().length > 1000, 'the translation is shown');
  assert.ok(english.includes('\n\n'), 'paragraphs are kept');
  await shot(page, '08-nojs-job-done');
  await page.goto(BASE + '/history');
  assert.match(await page.textContent('.summary'), /^1 translation$/);
  await context.close();
});

test('without JavaScript: delete shows a confirm page, then a notice', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  await page.goto(BASE + '/');
  await page.fill('#text-de', 'Der Zug fährt um acht Uhr ab.');
  await page.click('#translate-button');
  await page.waitForURL(/\/jobs\//);
  await waitForJobStatus(page, ['done'], 60000);
  await page.goto(BASE + '/history');
  assert.match(await page.textContent('time'), /UTC$/, 'without JavaScript times are UTC');
  await page.click('.history-list button:has-text("Delete")');
  await page.waitForSelector('text=Delete this translation?');
  assert.match(await page.textContent('.confirm blockquote'), /Der Zug fährt um acht Uhr ab\./);
  await shot(page, '11-nojs-delete-confirm');
  await page.click('text=Keep it');
  await page.waitForURL(/\/history$/);
  assert.match(await page.textContent('.summary'), /^1 translation$/);
  await page.click('.history-list button:has-text("Delete")');
  await page.click('.confirm button:has-text("Delete")');
  await page.waitForURL(/\/history\?deleted=1$/);
  assert.equal(await page.textContent('.notice.ok'), 'The translation was deleted.');
  assert.match(await page.textContent('.summary'), /^0 translations$/);
  await context.close();
});

test('with JavaScript: dismissing the delete question keeps the entry', async () => {
  const { context, page, dialogs } = await newPage();
  await translateWithJs(page, 'Die Brücke ist lang.');
  await page.goto(BASE + '/history');
  await page.click('.history-list button:has-text("Delete")');
  await page.waitForTimeout(300);
  assert.equal(dialogs.length, 1);
  assert.match(page.url(), /\/history$/);
  assert.match(await page.textContent('.summary'), /^1 translation$/);
  await context.close();
});

test('a 100 KB text fills the English pane sentence by sentence (screenshot series)', async () => {
  const { context, page, errors } = await newPage();
  const text = distinctGerman(100 * 1024);
  await page.goto(BASE + '/');
  await page.fill('#text-de', text);
  await page.press('#text-de', 'Control+Enter');
  const samples = [];
  let shots = 0;
  for (;;) {
    const p = await progressOf(page);
    samples.push(p);
    if (p.label === 'Done' || !(await page.isHidden('#notice'))) break;
    if (p.value > 0 && p.value < p.max && shots < 4 && (shots === 0 || p.value > samples[samples.length - 2].value)) {
      await shot(page, '12-100k-progress-' + (++shots));
    }
    await page.waitForTimeout(150);
  }
  assert.equal(await page.isVisible('#notice'), false, await page.textContent('#notice'));
  const last = samples[samples.length - 1];
  assert.equal(last.value, last.max, 'the bar ends full');
  const total = last.max;
  assert.ok(total > 2000, 'the segmenter counted the sentences: ' + total);
  const partial = samples.filter((p) => p.value > 0 && p.value < total);
  assert.ok(partial.length >= 3, 'the bar moved through intermediate values: ' + JSON.stringify(samples.map((p) => p.value)));
  assert.ok(partial.some((p) => p.english > 0), 'English appeared before the end');
  for (let i = 1; i < samples.length; i++) {
    assert.ok(samples[i].value >= samples[i - 1].value, 'progress never goes back');
    assert.ok(samples[i].english >= samples[i - 1].english, 'the English text only grows');
  }
  assert.ok(partial.some((p) => / \/ [\d,.]+ sentences/.test(p.label)), 'counts shown: ' + partial[0].label);
  // The page shows exactly what the server has: the finished pieces in order, nothing twice.
  const id = await currentJob(page);
  const job = await apiJob(page, id);
  assert.equal(job.body.status, 'done');
  assert.equal(job.body.total, total);
  assert.equal(await page.textContent('#text-en'), job.body.text_en);
  const box = await page.evaluate(() => {
    const o = document.getElementById('text-en');
    return { client: o.clientHeight, scroll: o.scrollHeight, viewport: window.innerHeight };
  });
  assert.ok(box.client <= box.viewport, 'the English pane has a bounded height: ' + JSON.stringify(box));
  assert.ok(box.scroll > box.client, 'and scrolls within it');
  await shot(page, '12-100k-done');
  assert.equal(await page.inputValue('#text-de'), text, 'the input stays');
  assert.deepEqual(errors, []);
  await context.close();
});

async function startBigJob(page, bytes) {
  await page.goto(BASE + '/');
  await page.fill('#text-de', distinctGerman(bytes));
  await page.press('#text-de', 'Control+Enter');
  try {
    await page.waitForFunction(() => {
      const bar = document.getElementById('progress-bar');
      return Number(bar.value) > 0 && Number(bar.value) < Number(bar.max) - 50;
    }, null, { timeout: 60000, polling: 50 });
  } catch (e) {
    throw new Error('the job never showed progress: ' + JSON.stringify(await progressOf(page)) + ' notice: ' +
      await page.textContent('#notice') + ' url: ' + page.url());
  }
  return currentJob(page);
}

test('reloading mid-job shows the live state and goes on; another tab shows it too', async () => {
  const { context, page, errors } = await newPage();
  const id = await startBigJob(page, 150 * 1024);
  assert.ok(id, 'the job id is in the address');
  const before = await progressOf(page);
  await page.reload();
  await page.waitForFunction(() => Number(document.getElementById('progress-bar').value) > 0, null, { timeout: 30000 });
  const after = await progressOf(page);
  assert.ok(after.value >= before.value, 'no progress is lost: ' + before.value + ' -> ' + after.value);
  assert.ok(after.english > 0, 'the English so far is shown at once');
  assert.equal(await currentJob(page), id);
  assert.equal(await page.isVisible('#cancel-button'), true);
  await shot(page, '13-reload-mid-job');
  // Another tab of the same browser, on the plain address: the running job is shown.
  const tab = await context.newPage();
  await tab.goto(BASE + '/');
  await tab.waitForFunction((want) => new URL(location.href).searchParams.get('job') === want, id, { timeout: 10000 });
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 180000 });
  await tab.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 60000 });
  const job = await apiJob(page, id);
  assert.equal(await page.textContent('#text-en'), job.body.text_en, 'nothing twice, nothing missing after the reload');
  assert.equal(await tab.textContent('#text-en'), job.body.text_en);
  assert.equal(await page.getAttribute('#counts-en a', 'href'), job.body.history_url);
  assert.deepEqual(errors, []);
  await context.close();
});

test('cancel stops the job; nothing is saved', async () => {
  const { context, page, errors } = await newPage();
  const id = await startBigJob(page, 200 * 1024);
  await page.click('#cancel-button');
  await page.waitForFunction(() => /^Cancelled/.test(document.getElementById('progress-text').textContent), null, { timeout: 15000 });
  assert.match(await page.textContent('#notice'), /cancelled/);
  assert.equal(await page.isVisible('#cancel-button'), false);
  assert.equal(await page.isEnabled('#translate-button'), true);
  await shot(page, '14-cancelled');
  const job = await apiJob(page, id);
  assert.equal(job.body.status, 'cancelled');
  assert.ok(job.body.done < job.body.total);
  await page.goto(BASE + '/history');
  assert.match(await page.textContent('.summary'), /^0 translations$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('errors are shown as the server words them and the typed text stays', async () => {
  const { context, page } = await newPage();
  await page.goto(BASE + '/');
  const text = 'Ein Satz, der bleiben soll.';
  await page.fill('#text-de', text);
  await page.route('**/api/jobs', (route) => route.fulfill({
    status: 413, contentType: 'application/json',
    body: JSON.stringify({ error: 'The text is too long: 12,000,000 characters; at most 10,000,000 characters per translation. Translate it in parts.' }),
  }));
  await page.click('#translate-button');
  await page.waitForSelector('#notice.error');
  assert.match(await page.textContent('#notice'), /^The text is too long: 12,000,000 characters/);
  assert.equal(await page.inputValue('#text-de'), text);
  assert.equal(await page.isEnabled('#translate-button'), true);
  await shot(page, '15-error-413');
  await page.unroute('**/api/jobs');
  await page.route('**/api/jobs', (route) => route.abort('connectionrefused'));
  await page.click('#translate-button');
  await page.waitForFunction(() => /could not be reached/.test(document.getElementById('notice').textContent));
  assert.equal(await page.inputValue('#text-de'), text);
  await page.unroute('**/api/jobs');
  // A reload keeps the typed text too.
  await page.reload();
  assert.equal(await page.inputValue('#text-de'), text);
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
  const historyOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(historyOverflow <= 0, 'no horizontal scrolling in the history on a phone: ' + historyOverflow);
  // A running job on a phone in dark mode: the translate page, the history's running list, the job page.
  const id = await startBigJob(page, 150 * 1024);
  await shot(page, '16-phone-dark-job-running');
  await page.goto(BASE + '/history');
  await shot(page, '17-phone-dark-history-running');
  const running = await page.$$eval('.active-jobs a', (links) => links.map((a) => a.getAttribute('href')));
  assert.ok(running.length >= 1, 'the history lists the running job on top');
  const nojs = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, javaScriptEnabled: false });
  await nojs.addCookies(await context.cookies());  // the same owner, without JavaScript
  const jobPage = await nojs.newPage();
  await jobPage.goto(BASE + running[0]);
  assert.ok(await jobPage.$('#job-status'), 'the job page of the running job');
  // The window only: the page reloads itself every 2 s, too often for a picture of all its text.
  await shot(jobPage, '18-phone-dark-nojs-job-page', false);
  const overflow2 = await jobPage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 0, 'no horizontal scrolling on the job page');
  await nojs.close();
  // Leave no work behind for the next tests (a job that finished meanwhile has nothing to cancel).
  await page.goto(BASE + '/?job=' + id);
  if (await page.isVisible('#cancel-button')) await page.click('#cancel-button', { timeout: 5000 }).catch(() => {});
  await page.waitForFunction(() => !document.getElementById('cancel-button').offsetParent, null, { timeout: 15000 });
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
  await page.waitForURL(/\/jobs\//, { timeout: 180000 });
  await waitForJobStatus(page, ['done'], 300000);
  assert.ok((await page.textContent('#job-text-en')).length > 1000000, 'the whole translation is shown');
  assert.equal((await page.textContent('#job-text-de')).length, BIG.length, 'the German text is kept');
  await context.close();
});

test('language pickers: en → de, swap, reload keeps the choice, detect, the history shows the languages', async () => {
  const { context, page, errors } = await newPage();
  // The pickers come from the translator's /languages, which the web app fetches in the background.
  await page.goto(BASE + '/');
  for (let i = 0; i < 60 && !(await page.$('#source-lang option[value="auto"]')); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  assert.deepEqual(await page.$$eval('#source-lang option', (o) => o.map((x) => x.value)), ['auto', 'de', 'en']);
  assert.deepEqual(await page.$$eval('#target-lang option', (o) => o.map((x) => x.value)), ['de', 'en']);
  assert.equal(await page.inputValue('#source-lang'), 'de', 'German → English first');
  assert.equal(await page.inputValue('#target-lang'), 'en');
  assert.equal(await page.isVisible('#swap-button'), true);

  await page.selectOption('#source-lang', 'en');
  assert.equal(await page.inputValue('#target-lang'), 'de', 'English translates into German only here');
  assert.equal(await page.textContent('#source-label'), 'English');
  assert.equal(await page.textContent('#en-label'), 'German');
  assert.equal(await page.getAttribute('#text-de', 'lang'), 'en');
  await shot(page, '20-languages-en-de');
  await page.click('#swap-button');
  assert.equal(await page.inputValue('#source-lang'), 'de');
  assert.equal(await page.inputValue('#target-lang'), 'en');
  await page.click('#swap-button');
  assert.equal(await page.inputValue('#source-lang'), 'en');
  assert.equal(await page.inputValue('#target-lang'), 'de');
  // "Detect language" cannot be swapped.
  await page.selectOption('#source-lang', 'auto');
  assert.equal(await page.isDisabled('#swap-button'), true);
  await page.selectOption('#source-lang', 'en');
  assert.equal(await page.isDisabled('#swap-button'), false);

  await page.reload();
  assert.equal(await page.inputValue('#source-lang'), 'en', 'the choice is remembered');
  assert.equal(await page.inputValue('#target-lang'), 'de');
  assert.equal(await page.textContent('#source-label'), 'English');

  await page.fill('#text-de', 'Good morning. The weather is nice today.');
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 60000 });
  assert.ok((await page.textContent('#text-en')).trim().length > 0, 'a translation is shown');
  await shot(page, '21-languages-translated');

  // Detect language: the page says what the translator detected.
  await page.selectOption('#source-lang', 'auto');
  await page.selectOption('#target-lang', 'en');
  await page.fill('#text-de', GERMAN);
  await page.press('#text-de', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 60000 });
  assert.match(await page.textContent('#detected'), /^Detected: German \(\d+%\)$/);
  await shot(page, '22-languages-detected');

  await page.goto(BASE + '/history');
  assert.deepEqual(await page.$$eval('.history-list .langs', (s) => s.map((x) => x.textContent)),
    ['de \u2192 en', 'en \u2192 de'], 'newest first, each with its languages');
  assert.equal(await page.getAttribute('.history-list li:last-child .langs', 'title'), 'English \u2192 German');
  await shot(page, '23-history-languages');
  assert.deepEqual(errors, []);
  await context.close();
});

test('language pickers without JavaScript: the form keeps the chosen pair', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  await page.goto(BASE + '/');
  await page.selectOption('#source-lang', 'en');
  await page.selectOption('#target-lang', 'de');
  await page.fill('#text-de', 'Good evening.');
  await page.click('#translate-button');
  await page.waitForURL(/\/jobs\/[A-Za-z0-9_-]+$/);
  await waitForJobStatus(page, ['done'], 60000);
  assert.match(await page.textContent('#job-status .langs'), /^en \u2192 de$/);
  await page.click('#new-translation');
  assert.equal(await page.inputValue('#source-lang'), 'en', 'the next form starts from the same pair');
  assert.equal(await page.inputValue('#target-lang'), 'de');
  await shot(page, '24-nojs-languages-kept');
  await context.close();
});

// Documents: built by Python's zipfile (tests/office_packages_test.py), checked the same way after download.
const { execFileSync } = require('node:child_process');
const TESTS_DIR = path.join(__dirname, '..');
function python(code, input) {
  return execFileSync('python3', ['-c', 'import sys; sys.path.insert(0, sys.argv[1])\n' + code, TESTS_DIR],
    { input, maxBuffer: 64 << 20 });
}
function germanHtml(bytes) {
  // Paragraphs with a bold word in mid-sentence: the formatting must survive, block by block.
  const paragraphs = distinctGerman(bytes).split('\n\n');
  return '<!doctype html><html lang="de"><head><title>Bericht</title></head><body><h1>Ein langer Bericht</h1>\n' +
    paragraphs.map((p) => '<p>' + p.replace(' am Tag ', ' am <b>Tag</b> ') + '</p>').join('\n') + '\n</body></html>\n';
}

test('a document with JavaScript: upload, block progress, download, the history keeps its name', async () => {
  const { context, page, errors } = await newPage();
  await page.goto(BASE + '/');
  // 1. A 150 KB HTML page: its blocks arrive one by one; the download has the same structure.
  const html = germanHtml(150000);
  await page.setInputFiles('#file-input', { name: 'Bericht.html', mimeType: 'text/html', buffer: Buffer.from(html) });
  await page.waitForFunction(() => /blocks|Done/.test(document.getElementById('progress-text').textContent), null, { timeout: 60000 });
  const running = await progressOf(page);
  assert.ok(running.max > 100, 'the progress counts the document\'s blocks: ' + JSON.stringify(running));
  assert.match(await page.textContent('#file-result'), /Bericht\.html/);
  await shot(page, '25-file-running');
  await page.waitForFunction(() => document.getElementById('progress-text').textContent === 'Done', null, { timeout: 600000 });
  const done = await progressOf(page);
  assert.equal(done.value, done.max);
  assert.ok(done.english > 10000, 'the blocks\' translation is shown as text');
  assert.equal(await page.textContent('#download-file'), 'Download Bericht.html');
  const translated = await download(page, '#download-file');
  const count = (s, re) => (s.match(re) || []).length;
  assert.equal(count(translated, /<p>/g), count(html, /<p>/g), 'every paragraph is kept');
  assert.equal(count(translated, /<b>/g), count(html, /<b>/g), 'every bold span is kept');
  assert.equal(count(translated, /<\/b>/g), count(html, /<\/b>/g));
  assert.ok(translated.includes('<h1>') && translated.includes('<title>'), 'the head and heading are kept');
  assert.ok(!translated.includes('Der Hund sieht am'), 'the text is translated');
  await shot(page, '26-file-done');

  // 2. A .docx dropped on the text box: the result is a package an independent reader opens.
  const docx = python('import office_packages_test as t; sys.stdout.buffer.write(t.docx()[0])');
  const dataTransfer = await page.evaluateHandle((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'Brief an Anna.docx',
      { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }));
    return transfer;
  }, Array.from(docx));
  await page.dispatchEvent('#text-de', 'drop', { dataTransfer });
  await page.waitForFunction(() => /Brief an Anna/.test(document.getElementById('file-result').textContent) &&
    document.getElementById('progress-text').textContent === 'Done', null, { timeout: 120000 });
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download-file')]);
  assert.equal(file.suggestedFilename(), 'Brief an Anna.docx');
  const result = fs.readFileSync(await file.path());
  const verdict = python('import io, office_packages_test as t\n' +
    'source = t.docx()\nresult = sys.stdin.buffer.read()\n' +
    'print("\\n".join(t.check("docx", source[0], result, source[1])) or "ok")', result).toString().trim();
  assert.equal(verdict, 'ok');

  // 3. The history: both files by name; the entry page downloads the file again.
  await page.goto(BASE + '/history');
  const titles = await page.$$eval('.history-list .entry-title', (a) => a.map((x) => x.textContent));
  assert.deepEqual(titles, ['Brief an Anna.docx', 'Bericht.html']);
  await page.click('.history-list .entry-title >> nth=0');
  assert.match(await page.textContent('.meta'), /file Brief an Anna\.docx/);
  const again = await page.evaluate(async () => {
    const response = await fetch(document.getElementById('download-file').getAttribute('href'));
    return { status: response.status, bytes: (await response.arrayBuffer()).byteLength };
  });
  assert.deepEqual(again, { status: 200, bytes: result.length });
  await shot(page, '27-file-history-entry');

  // 4. A file that is not a document: the server's words, nothing started.
  await page.goto(BASE + '/');
  await page.setInputFiles('#file-input', { name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ\x90\x00') });
  await page.waitForSelector('#notice:not([hidden])');
  assert.match(await page.textContent('#notice'), /setup\.exe.*not a format/);
  // The refused upload's 400 is the only console message (the browser logs every failed request).
  assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await context.close();
});

test('a document without JavaScript: the form\'s file button, the job page, the download', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  await page.goto(BASE + '/');
  const srt = '1\n00:00:01,000 --> 00:00:03,000\nDer Hund läuft schnell\nüber die Wiese.\n\n' +
    '2\n00:00:04,000 --> 00:00:06,000\nDie Katze schläft im Haus.\n';
  await page.setInputFiles('#file-input', { name: 'Film.srt', mimeType: 'application/x-subrip', buffer: Buffer.from(srt) });
  await page.click('#file-button');
  await page.waitForURL(/\/jobs\/\d+(\?.*)?$/);
  await waitForJobStatus(page, ['done'], 120000);
  assert.match(await page.textContent('h1'), /Film\.srt/);
  assert.equal(await page.textContent('#download-file'), 'Download Film.srt');
  await shot(page, '28-nojs-file-done');
  const href = await page.getAttribute('#download-file', 'href');
  const response = await context.request.get(BASE + href);
  assert.equal(response.status(), 200);
  const body = await response.text();
  assert.match(body, /^1\n00:00:01,000 --> 00:00:03,000\n/, 'numbers and timings are kept');
  assert.match(body, /\n\n2\n00:00:04,000 --> 00:00:06,000\n/);
  assert.ok(!body.includes('Die Katze schläft'), 'the cues are translated');
  await context.close();
});
