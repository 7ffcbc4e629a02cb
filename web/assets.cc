#include "web/assets.h"

#include <array>

#include "web/security.h"

namespace dolmetsch::web {
namespace {

constexpr std::string_view kStylesheet =
    R"CSS(/* dolmetsch: one stylesheet, light and dark through prefers-color-scheme. */
:root {
  --bg: #f6f7f9; --surface: #ffffff; --text: #1c1f24; --muted: #5d6470; --border: #d9dde3;
  --accent: #2456c9; --accent-text: #ffffff; --accent-soft: #e8eefc; --danger: #b3261e;
  --ok-bg: #e7f5ea; --ok-text: #1d5b2c; --warn-bg: #fff4d6; --warn-text: #6b4b00;
  --err-bg: #fde8e7; --err-text: #8c1d18; --radius: 10px; --shadow: 0 1px 2px rgba(0,0,0,.06);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14161a; --surface: #1d2026; --text: #e7e9ee; --muted: #9aa3b2; --border: #343a44;
    --accent: #7ea2ff; --accent-text: #0d1530; --accent-soft: #232c44; --danger: #ff8a80;
    --ok-bg: #17301f; --ok-text: #9ee2b0; --warn-bg: #3a2f10; --warn-text: #f3d58a;
    --err-bg: #3b1715; --err-text: #ffb4ab; --shadow: none;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif;
}
a { color: var(--accent); }
a:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px;
}
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--surface); padding: .5rem 1rem; z-index: 2; }
.site-header { background: var(--surface); border-bottom: 1px solid var(--border); }
.site-header .inner { display: flex; align-items: center; gap: 1.5rem; flex-wrap: wrap; }
.inner { max-width: 1180px; margin: 0 auto; padding: .75rem 1.25rem; }
.brand { font-weight: 700; font-size: 1.2rem; color: var(--text); text-decoration: none; letter-spacing: .01em; }
.brand span { color: var(--accent); }
.site-nav { display: flex; gap: .25rem; flex: 1; }
.site-nav a { padding: .35rem .75rem; border-radius: 999px; color: var(--muted); text-decoration: none; white-space: nowrap; }
.site-nav a[aria-current="page"] { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.site-nav a:hover { color: var(--text); }
.user { color: var(--muted); font-size: .9rem; }
main.inner { padding-top: 1.5rem; padding-bottom: 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1rem; margin: 0; }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 760px) { .panes { grid-template-columns: 1fr; } }
.pane {
  background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius);
  box-shadow: var(--shadow); display: flex; flex-direction: column; min-width: 0;
}
.pane-head {
  display: flex; align-items: center; justify-content: space-between; gap: .5rem;
  padding: .6rem .9rem; border-bottom: 1px solid var(--border); min-height: 3rem;
}
.pane-head label, .pane-head h2 { font-weight: 600; font-size: .95rem; }
.lang-tag { color: var(--muted); font-weight: 400; font-size: .85rem; margin-left: .35rem; }
textarea {
  width: 100%; min-height: 22rem; outline: none; resize: vertical; border: 0; padding: .9rem; margin: 0;
  background: transparent; color: inherit; font: inherit; line-height: 1.6;
  border-radius: 0 0 var(--radius) var(--radius);
}
.output, .text-block { padding: .9rem; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6; flex: 1; }
.output { min-height: 22rem; }
.text-block { min-height: 6rem; }
.pane textarea:focus-visible { outline: none; }
.pane:focus-within { border-color: var(--accent); box-shadow: 0 0 0 3px var(--accent-soft); }
@media (max-width: 760px) {
  textarea, .output { min-height: 11rem; }
  .site-header .inner { gap: .75rem; }
  .site-nav a { padding: .3rem .6rem; }
  .hint kbd, .key-hint { display: none; }
}
@media (hover: none) { .key-hint { display: none; } }
.output:empty::before { content: attr(data-placeholder); color: var(--muted); }
.pane-foot { padding: .45rem .9rem; border-top: 1px solid var(--border); color: var(--muted); font-size: .85rem; }
.pane-foot:empty { display: none; }
.actions { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
button, .button {
  font: inherit; font-weight: 600; border-radius: 8px; border: 1px solid transparent; cursor: pointer;
  padding: .55rem 1.2rem; background: var(--accent); color: var(--accent-text); text-decoration: none;
  display: inline-block; line-height: 1.3;
}
button:disabled { opacity: .6; cursor: progress; }
button.secondary, .button.secondary { background: transparent; color: var(--accent); border-color: var(--border); }
button.small, .button.small { padding: .25rem .7rem; font-size: .85rem; font-weight: 500; }
button.danger { background: transparent; color: var(--danger); border-color: var(--border); }
button.danger:hover { border-color: var(--danger); }
.hint { color: var(--muted); font-size: .85rem; }
kbd { font: .8rem ui-monospace, monospace; border: 1px solid var(--border); border-radius: 4px; padding: 0 .3rem; }
.progress { display: flex; align-items: center; gap: .6rem; flex: 1; min-width: 12rem; }
.progress[hidden] { display: none; }
progress { flex: 1; height: .6rem; accent-color: var(--accent); }
.notice { border-radius: var(--radius); padding: .7rem 1rem; margin: 0 0 1rem; }
.notice[hidden] { display: none; }
.notice.ok { background: var(--ok-bg); color: var(--ok-text); }
.notice.warning { background: var(--warn-bg); color: var(--warn-text); }
.notice.error { background: var(--err-bg); color: var(--err-text); }
.toolbar { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; margin-bottom: 1rem; }
.search { display: flex; gap: .5rem; flex: 1; min-width: 16rem; }
.search input {
  flex: 1; min-width: 0; font: inherit; padding: .5rem .75rem; border-radius: 8px;
  border: 1px solid var(--border); background: var(--surface); color: inherit;
}
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
}
.summary { color: var(--muted); margin: 0 0 1rem; }
.exports { display: flex; gap: .5rem; }
.history-list { list-style: none; padding: 0; margin: 0; display: grid; gap: .75rem; }
.entry { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.entry-head {
  display: flex; justify-content: space-between; align-items: center; gap: .5rem;
  padding: .45rem .9rem; border-bottom: 1px solid var(--border); font-size: .85rem; color: var(--muted);
}
.entry-head a { font-weight: 600; text-decoration: none; }
.entry-head a:hover { text-decoration: underline; }
.entry-body { display: grid; grid-template-columns: 1fr 1fr; }
.entry-body p { margin: 0; padding: .7rem .9rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.entry-body p + p { border-left: 1px solid var(--border); }
@media (max-width: 760px) {
  .entry-body { grid-template-columns: 1fr; }
  .entry-body p + p { border-left: 0; border-top: 1px solid var(--border); }
}
.pagination { display: flex; justify-content: space-between; align-items: center; margin-top: 1.25rem; gap: .5rem; }
.pagination .muted { color: var(--muted); }
.empty { text-align: center; padding: 3rem 1rem; color: var(--muted); background: var(--surface);
  border: 1px dashed var(--border); border-radius: var(--radius); }
.meta { color: var(--muted); font-size: .9rem; margin: -0.5rem 0 1rem; }
.inline-form { display: inline; margin: 0; }
footer.inner { color: var(--muted); font-size: .8rem; padding-bottom: 2rem; }
/* The English pane scrolls inside a bounded height on wide screens so the controls stay in reach. */
@media (min-width: 761px) {
  .output, .text-block { max-height: min(70vh, 48rem); overflow-y: auto; }
  .pane textarea { flex: 1; }  /* fills its pane when the English pane beside it is taller */
}
.history-list { grid-template-columns: minmax(0, 1fr); }
.entry { min-width: 0; }
.entry-title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; max-width: 100%; }
.entry-head .when { white-space: nowrap; }
.entry-head .head-left { display: flex; gap: .25rem .75rem; align-items: baseline; min-width: 0; flex: 1 1 auto;
  flex-wrap: wrap; }
.confirm { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius);
  padding: 1rem 1.25rem; box-shadow: var(--shadow); max-width: 48rem; }
.confirm blockquote { margin: .5rem 0 1rem; padding: .5rem .9rem; border-left: 3px solid var(--border);
  color: var(--muted); white-space: pre-wrap; overflow-wrap: anywhere; }
.confirm .actions { margin-bottom: 0; }
.confirm p:first-child { margin-top: 0; }
.job-status .badge { text-transform: capitalize; }
button.danger.solid { background: var(--danger); color: var(--surface); border-color: var(--danger); }
/* Jobs: the job page and the running jobs above the history. */
.badge { display: inline-block; padding: .1rem .6rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
  background: var(--accent-soft); color: var(--accent); white-space: nowrap; }
.badge.done { background: var(--ok-bg); color: var(--ok-text); }
.badge.failed { background: var(--err-bg); color: var(--err-text); }
.badge.cancelled { background: var(--warn-bg); color: var(--warn-text); }
.job-status { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; margin: 0 0 1rem; color: var(--muted); }
.job-status progress { flex: 1; min-width: 10rem; max-width: 32rem; }
.job-list { list-style: none; padding: 0; margin: 0 0 1.25rem; display: grid; gap: .5rem; }
.job-list li { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; background: var(--surface);
  border: 1px solid var(--border); border-left: 4px solid var(--accent); border-radius: var(--radius);
  padding: .55rem .9rem; box-shadow: var(--shadow); }
.job-list li a { font-weight: 600; text-decoration: none; min-width: 0; overflow-wrap: anywhere; flex: 1; }
.job-list progress { width: 8rem; flex: none; }
.job-list .muted { color: var(--muted); font-size: .9rem; }
.active-jobs h2 { margin: 0 0 .5rem; font-size: 1rem; }
.lang-bar { display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; margin-bottom: .75rem; }
.lang-bar label { color: var(--muted); font-size: .9rem; }
.lang-bar select {
  font: inherit; padding: .35rem .6rem; border: 1px solid var(--border); border-radius: var(--radius);
  background: var(--surface); color: var(--text); min-width: 10rem;
}
.lang-bar select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
#swap-button { font-size: 1.1rem; line-height: 1; }
@media (max-width: 480px) {
  .lang-bar { gap: .35rem; flex-wrap: nowrap; }
  .lang-bar select { min-width: 0; flex: 1 1 5rem; }
}
.langs { color: var(--muted); font-size: .85rem; white-space: nowrap; margin-left: .5rem; }
.detected { color: var(--muted); font-size: .85rem; margin-left: .75rem; }
.file-row { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin: .75rem 0; }
.file-row .hint { flex-basis: 100%; }
.file-result a { font-weight: 600; }
.pane.dropping { outline: 2px dashed var(--accent, #2563eb); outline-offset: 4px; }
)CSS";

constexpr std::string_view kScript =
    R"JS(// dolmetsch: progressive enhancement of the pages. Without this script every form posts normally.
// The translate page runs a text as a server-side job (POST /api/jobs) and follows its events
// (GET /api/jobs/ID/events, Server-Sent Events read with fetch so that Last-Event-ID can be sent on the
// first request too). The job id is kept in the address (?job=ID) and in localStorage, so a reload, leaving
// and coming back, or another tab shows the job's live state.
(function () {
  'use strict';
  var JOB_KEY = 'dolmetsch.job';
  var TEXT_KEY = 'dolmetsch.text';
  var PAIR_KEY = 'dolmetsch.pair';  // the language pickers' last choice: {"source", "target"}

  function store(kind, key, value) {
    try {
      var s = kind === 'local' ? window.localStorage : window.sessionStorage;
      if (value === undefined) return s.getItem(key);
      if (value === null) s.removeItem(key); else s.setItem(key, value);
    } catch (e) { /* storage disabled or full: the address still holds the job */ }
    return null;
  }
  function plural(n, one, many) { return n.toLocaleString() + ' ' + (n === 1 ? one : many); }

  // Times: the page shows UTC (works without JavaScript); here they become the browser's local time, with
  // the UTC time kept in the title attribute.
  function localizeTimes(root) {
    var times = (root || document).querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      if (!t.title) t.title = t.textContent;
      t.textContent = d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric',
                                                    hour: '2-digit', minute: '2-digit' });
    }
  }

  // Delete buttons ask first; the server shows a confirm page when this script does not run.
  function confirmDeletes() {
    var forms = document.querySelectorAll('form.delete-form');
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener('submit', function (event) {
        var f = event.currentTarget;
        var what = f.getAttribute('data-title') || 'this translation';
        if (!window.confirm('Delete \u201c' + what + '\u201d from the history? This cannot be undone.')) {
          event.preventDefault();
          return;
        }
        var field = f.querySelector('input[name="confirmed"]');
        if (field) field.value = 'yes';
      });
    }
  }

  // A server-rendered job page (/jobs/ID) that is still running becomes the live translate page.
  function upgradeJobPage() {
    var status = document.getElementById('job-status');
    var match = /^\/jobs\/([A-Za-z0-9_-]{1,64})$/.exec(window.location.pathname);
    if (!status || !match || !window.fetch || !window.ReadableStream) return false;
    var state = status.getAttribute('data-status');
    if (state !== 'queued' && state !== 'running') return false;
    window.location.replace('/?job=' + encodeURIComponent(match[1]));
    return true;
  }

  localizeTimes();
  confirmDeletes();
  if (upgradeJobPage()) return;

  var form = document.getElementById('translate-form');
  if (!form) return;
  var input = document.getElementById('text-de');
  var output = document.getElementById('text-en');
  var counts = document.getElementById('counts');
  var outCounts = document.getElementById('counts-en');
  var button = document.getElementById('translate-button');
  var cancelButton = document.getElementById('cancel-button');
  var copyButton = document.getElementById('copy-button');
  var progressBox = document.getElementById('progress');
  var progressBar = document.getElementById('progress-bar');
  var progressText = document.getElementById('progress-text');
  var notice = document.getElementById('notice');
  var token = form.querySelector('input[name="csrf_token"]').value;
  var sourceSelect = document.getElementById('source-lang');
  var targetSelect = document.getElementById('target-lang');
  var swapButton = document.getElementById('swap-button');
  var sourceLabel = document.getElementById('source-label');
  var targetLabel = document.getElementById('en-label');
  var detectedBox = document.getElementById('detected');
  var fileInput = document.getElementById('file-input');
  var fileResult = document.getElementById('file-result');
  // What a job's pieces are: a text's sentences, or a document's blocks (paragraphs, cells, cues).
  var units = ['sentence', 'sentences'];

  // Language pickers: plain <select>s of the form (they work without this script). Here the targets a
  // source cannot reach are disabled, the pane titles follow the choice, the swap button works, and the
  // choice is remembered in localStorage (unless the server chose it: a submitted form, ?source=&target=).
  function hasOption(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value && !select.options[i].disabled) return true;
    }
    return false;
  }
  function optionText(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) return select.options[i].textContent;
    }
    return value;
  }
  function updateTargets() {
    var chosen = sourceSelect.options[sourceSelect.selectedIndex];
    var reachable = chosen && chosen.getAttribute('data-targets');
    var allowed = reachable ? reachable.split(' ') : null;  // null: any target ("auto", or not known)
    var firstAllowed = null;
    for (var i = 0; i < targetSelect.options.length; i++) {
      var option = targetSelect.options[i];
      option.disabled = allowed !== null && allowed.indexOf(option.value) < 0;
      if (!option.disabled && firstAllowed === null) firstAllowed = option.value;
    }
    var current = targetSelect.options[targetSelect.selectedIndex];
    if ((!current || current.disabled) && firstAllowed !== null) targetSelect.value = firstAllowed;
  }
  function updateLanguages() {
    updateTargets();
    var auto = sourceSelect.value === 'auto';
    swapButton.hidden = false;
    swapButton.disabled = auto || !hasOption(sourceSelect, targetSelect.value);
    sourceLabel.textContent = auto ? 'Text' : optionText(sourceSelect, sourceSelect.value);
    targetLabel.textContent = optionText(targetSelect, targetSelect.value);
    if (auto) input.removeAttribute('lang'); else input.setAttribute('lang', sourceSelect.value);
    input.placeholder = sourceSelect.value === 'de' ? 'Deutschen Text hier einf\u00fcgen\u2026' : 'Enter text\u2026';
    output.setAttribute('lang', targetSelect.value);
  }
  function rememberPair() {
    store('local', PAIR_KEY, JSON.stringify({ source: sourceSelect.value, target: targetSelect.value }));
  }
  function restorePair() {
    if (form.getAttribute('data-pair-chosen')) return;
    var saved;
    try { saved = JSON.parse(store('local', PAIR_KEY) || 'null'); } catch (e) { saved = null; }
    if (!saved || !hasOption(sourceSelect, saved.source)) return;
    sourceSelect.value = saved.source;
    updateTargets();
    if (hasOption(targetSelect, saved.target)) targetSelect.value = saved.target;
  }
  function swapLanguages() {
    var from = sourceSelect.value, into = targetSelect.value;
    if (from === 'auto' || !hasOption(sourceSelect, into)) return;
    sourceSelect.value = into;
    updateTargets();
    if (hasOption(targetSelect, from)) targetSelect.value = from;
    // The translation becomes the text to translate back (when it is not still arriving).
    if (output.textContent && !(job && !job.finished)) {
      input.value = output.textContent;
      output.textContent = '';
      updateCounts();
      updateOutputFoot('');
    }
    showDetected('');
    updateLanguages();
    rememberPair();
  }
  function showDetected(text) {
    detectedBox.textContent = text;
    detectedBox.hidden = !text;
  }

  // The job this page follows: its id, the English text so far (pieces by index) and the stream.
  var job = null;

  function updateCounts() {
    // Characters only: the sentence count is the server's segmenter's, shown with the progress.
    counts.textContent = plural(Array.from(input.value).length, 'character', 'characters');
  }
  function updateOutputFoot(historyUrl) {
    var text = output.textContent;
    copyButton.hidden = !text;
    outCounts.textContent = text ? plural(Array.from(text).length, 'character', 'characters') : '';
    if (historyUrl) {
      if (text) outCounts.appendChild(document.createTextNode(' \u00b7 '));
      var link = document.createElement('a');
      link.href = historyUrl;
      link.textContent = 'Saved to the history';
      outCounts.appendChild(link);
    }
  }
  function showNotice(kind, message) {
    if (!message) { notice.hidden = true; notice.textContent = ''; return; }
    notice.className = 'notice ' + kind;
    notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    notice.textContent = message;
    notice.hidden = false;
  }
  function formatEta(seconds) {
    if (seconds === null || seconds === undefined || !(seconds >= 0)) return '';
    if (seconds < 60) return 'about ' + Math.max(1, Math.round(seconds)) + ' s left';
    if (seconds < 3600) return 'about ' + Math.round(seconds / 60) + ' min left';
    var h = Math.floor(seconds / 3600);
    return 'about ' + h + ' h ' + Math.round((seconds - h * 3600) / 60) + ' min left';
  }
  function setProgress(done, total, eta, label) {
    progressBox.hidden = false;
    progressBar.max = Math.max(total, 1);
    progressBar.value = Math.min(done, Math.max(total, 1));
    if (label) { progressText.textContent = label; return; }
    if (!(total > 0)) { progressText.textContent = 'Starting\u2026'; return; }
    var text = done.toLocaleString() + ' / ' + plural(total, units[0], units[1]);
    var left = formatEta(eta);
    progressText.textContent = left ? text + ' \u00b7 ' + left : text;
  }
  function setBusy(busy) {
    button.disabled = busy;
    button.textContent = busy ? 'Translating\u2026' : 'Translate';
    cancelButton.hidden = !busy;
    cancelButton.disabled = false;
    if (busy) form.setAttribute('aria-busy', 'true'); else form.removeAttribute('aria-busy');
  }
  function rememberJob(id) {
    store('local', JOB_KEY, id);
    var url = new URL(window.location.href);
    url.searchParams.set('job', id);
    window.history.replaceState(null, '', url.pathname + url.search);
  }
  function forgetJob() {
    store('local', JOB_KEY, null);
  }
  // Pieces arrive per sentence (hundreds of thousands for a long text): they are collected in document order
  // and appended once per frame as one text node, so the cost stays proportional to the new text.
  function newJob(id, base, baseCount) {
    output.textContent = base;
    return { id: id, next: baseCount, waiting: {}, pending: '', chars: Array.from(base).length,
             lastEventId: baseCount, progress: null, finished: false, follow: true, flushQueued: false };
  }
  function addPiece(j, index, piece) {
    if (index < j.next || j.waiting[index] !== undefined) return;  // already shown (a reconnect resends)
    j.waiting[index] = piece;
    while (j.waiting[j.next] !== undefined) {
      j.pending += j.waiting[j.next];
      delete j.waiting[j.next];
      j.next++;
    }
  }
  function flush(j) {
    j.flushQueued = false;
    if (job !== j) return;
    if (j.pending) {
      output.appendChild(document.createTextNode(j.pending));
      j.chars += Array.from(j.pending).length;
      j.pending = '';
      copyButton.hidden = false;
      outCounts.textContent = plural(j.chars, 'character', 'characters');
      // Keep the newest sentence in view while the reader has not scrolled up.
      if (j.follow) output.scrollTop = output.scrollHeight;
    }
    if (j.progress && !j.finished) setProgress(j.progress.done, j.progress.total, j.progress.eta_seconds);
  }
  function scheduleFlush(j) {
    if (j.flushQueued) return;
    j.flushQueued = true;
    if (document.hidden || !window.requestAnimationFrame) setTimeout(function () { flush(j); }, 100);
    else window.requestAnimationFrame(function () { flush(j); });
  }
  async function readJson(response) {
    try { return await response.json(); } catch (e) { return {}; }
  }
  function httpMessage(response, body, what) {
    if (body && body.error) return body.error;
    if (response.status === 404) return 'This translation job no longer exists.';
    if (response.status === 403) return 'The page has expired. Reload the page and try again.';
    if (response.status >= 500) return what + ' failed: the server had a problem (HTTP ' + response.status +
                                       '). Try again in a moment.';
    return what + ' failed (HTTP ' + response.status + ').';
  }

  function finishJob(end) {
    var j = job;
    flush(j);
    j.finished = true;
    setBusy(false);
    forgetJob();
    var status = end.status;
    var total = end.total || 0, done = end.done || 0;
    if (status === 'done') {
      // The end event carries the whole translation (the last pieces may not have come as events).
      if (typeof end.text_en === 'string' && end.text_en !== output.textContent) output.textContent = end.text_en;
      setProgress(total, total, null, 'Done');
      updateOutputFoot(end.history_url || '');
      showNotice('', '');
      if (end.download_url) showFile('Translated: ', end.output_file_name || end.file_name, end.download_url);
    } else if (status === 'cancelled') {
      setProgress(done, total, null, 'Cancelled after ' + done.toLocaleString() + ' of ' +
                  plural(total, units[0], units[1]));
      updateOutputFoot('');
      showNotice('warning', done > 0 ? 'The translation was cancelled. The part translated so far is shown; ' +
                 'it is not saved to the history.' : 'The translation was cancelled.');
    } else {
      setProgress(done, total, null, 'Stopped');
      updateOutputFoot('');
      showNotice('error', end.error || 'The translation failed. Try again in a moment.');
    }
  }

  function handleEvent(name, id, data) {
    if (job.finished) return;
    if (name === 'progress') {
      if (id) job.lastEventId = Math.max(job.lastEventId, parseInt(id, 10) || 0);
      if (typeof data.index === 'number') addPiece(job, data.index, data.piece || '');
      job.progress = data;
      scheduleFlush(job);
    } else if (name === 'end') {
      finishJob(data);
    }
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split('\n\n');
    var rest = parts.pop();
    parts.forEach(function (block) {
      var name = 'message', data = '', id = '', hasData = false;
      block.split('\n').forEach(function (line) {
        if (line.charAt(0) === ':') return;  // keep-alive comment
        var colon = line.indexOf(':');
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.charAt(0) === ' ') value = value.slice(1);
        if (field === 'event') name = value;
        else if (field === 'id') id = value;
        else if (field === 'data') { data += (hasData ? '\n' : '') + value; hasData = true; }
      });
      if (hasData) {
        var parsed;
        try { parsed = JSON.parse(data); } catch (e) { return; /* ignore a malformed event */ }
        onEvent(name, id, parsed);
      }
    });
    return rest;
  }

  // Follows the job's events until `end`; reconnects (with Last-Event-ID) when the connection drops.
  async function followEvents(j) {
    var failures = 0;
    while (job === j && !j.finished) {
      try {
        var headers = { 'Accept': 'text/event-stream' };
        if (j.lastEventId > 0) headers['Last-Event-ID'] = String(j.lastEventId);
        var response = await fetch('/api/jobs/' + encodeURIComponent(j.id) + '/events',
                                   { headers: headers, credentials: 'same-origin', cache: 'no-store' });
        var type = response.headers.get('Content-Type') || '';
        if (!response.ok || type.indexOf('text/event-stream') !== 0) {
          var body = await readJson(response);
          if (response.status === 404 || response.status === 403) {
            finishJob({ status: 'failed', error: httpMessage(response, body, 'Following the translation') });
            return;
          }
          throw new Error(httpMessage(response, body, 'Following the translation'));
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          failures = 0;
          buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n'),
                               function (name, id, data) { if (job === j) handleEvent(name, id, data); });
          if (j.finished || job !== j) { try { reader.cancel(); } catch (e) { /* closed */ } return; }
        }
      } catch (e) {
        failures++;
        if (job === j && !j.finished && failures >= 3) {
          showNotice('warning', 'The connection to the server was lost; the translation goes on there. ' +
                     'Reconnecting\u2026');
        }
      }
      if (job !== j || j.finished) return;
      await new Promise(function (resolve) { setTimeout(resolve, Math.min(10000, 500 * Math.pow(2, failures))); });
      if (failures === 0 && job === j && !j.finished) showNotice('', '');
    }
  }

  // The file line under the panes: "Translating Brief.docx…", then its download link.
  function showFile(prefix, name, url) {
    if (!fileResult) return;
    fileResult.textContent = name ? prefix : '';
    if (!name) return;
    if (url) {
      var link = document.createElement('a');
      link.href = url;
      link.id = 'download-file';
      link.setAttribute('download', name);
      link.textContent = 'Download ' + name;
      fileResult.appendChild(link);
    } else {
      fileResult.appendChild(document.createTextNode(name + '\u2026'));
    }
  }

  // A chosen or dropped document becomes a job at once (multipart POST /api/jobs with the pickers' pair);
  // the English pane shows its blocks as plain text while it runs, the link downloads the file at the end.
  async function createFileJob(file) {
    if (job && !job.finished) { showNotice('warning', 'Wait for the running translation or cancel it first.'); return; }
    if (!file) { showNotice('warning', 'Choose a file to translate first.'); return; }
    job = null;
    output.textContent = '';
    updateOutputFoot('');
    showNotice('', '');
    showDetected('');
    units = ['block', 'blocks'];
    showFile('Uploading ', file.name, '');
    setBusy(true);
    cancelButton.hidden = true;
    setProgress(0, 0, null, 'Uploading ' + file.name + '\u2026');
    var data = new FormData();
    data.append('file', file, file.name);
    data.append('source', sourceSelect.value);
    data.append('target', targetSelect.value);
    var response, body;
    try {
      response = await fetch('/api/jobs', {
        method: 'POST', headers: { 'X-CSRF-Token': token, 'Accept': 'application/json' }, body: data,
        credentials: 'same-origin'
      });
      body = await readJson(response);
    } catch (e) {
      setBusy(false);
      progressBox.hidden = true;
      showFile('', '', '');
      showNotice('error', 'The server could not be reached. Check the connection and choose the file again.');
      return;
    }
    if (fileInput) fileInput.value = '';
    if (!response.ok || !body.id) {
      setBusy(false);
      progressBox.hidden = true;
      showFile('', '', '');
      showNotice('error', httpMessage(response, body, 'Uploading the file'));
      return;
    }
    var detected = body.detected_language;
    if (detected && typeof detected.language === 'string') {
      showDetected('Detected: ' + optionText(sourceSelect, detected.language) + ' (' +
                   Math.round(Number(detected.confidence) || 0) + '%)');
    }
    showFile('Translating ', body.file_name || file.name, '');
    startFollowing(String(body.id));
  }

  function startFollowing(id) {
    job = newJob(id, '', 0);
    rememberJob(id);
    setBusy(true);
    followEvents(job);
  }

  async function createJob() {
    if (job && !job.finished) return;
    var text = input.value;
    if (!text.trim()) { showNotice('warning', 'Enter some text to translate.'); input.focus(); return; }
    // The old result goes at once: nothing on screen belongs to another text.
    job = null;
    units = ['sentence', 'sentences'];
    showFile('', '', '');
    output.textContent = '';
    updateOutputFoot('');
    showNotice('', '');
    showDetected('');
    setBusy(true);
    cancelButton.hidden = true;
    setProgress(0, 0);
    var response, body;
    try {
      response = await fetch('/api/jobs', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': token,
                   'Accept': 'application/json' },
        body: new URLSearchParams({ text: text, source: sourceSelect.value, target: targetSelect.value }),
        credentials: 'same-origin'
      });
      body = await readJson(response);
    } catch (e) {
      setBusy(false);
      progressBox.hidden = true;
      showNotice('error', 'The server could not be reached. Check the connection and press Translate again; ' +
                 'your text is still here.');
      return;
    }
    if (!response.ok || !body.id) {
      setBusy(false);
      progressBox.hidden = true;
      showNotice('error', httpMessage(response, body, 'Starting the translation'));
      return;
    }
    var detected = body.detected_language;
    if (detected && typeof detected.language === 'string') {
      showDetected('Detected: ' + optionText(sourceSelect, detected.language) + ' (' +
                   Math.round(Number(detected.confidence) || 0) + '%)');
    }
    startFollowing(String(body.id));
  }

  // Shows a job's state after a reload, a visit from another page or another tab, then follows it.
  async function resumeJob(id) {
    var response, body;
    try {
      response = await fetch('/api/jobs/' + encodeURIComponent(id),
                             { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } });
      body = await readJson(response);
    } catch (e) {
      showNotice('error', 'The server could not be reached to show the running translation. Reload the page ' +
                 'in a moment.');
      return;
    }
    if (!response.ok) {
      forgetJob();
      if (response.status === 404) {
        var url = new URL(window.location.href);
        if (url.searchParams.get('job') === id) {
          showNotice('warning', 'That translation job does not exist (any more) in your history.');
          url.searchParams.delete('job');
          window.history.replaceState(null, '', url.pathname + url.search);
        }
      } else {
        showNotice('error', httpMessage(response, body, 'Showing the translation'));
      }
      return;
    }
    if (!input.value && typeof body.text_de === 'string') { input.value = body.text_de; updateCounts(); }
    var running = body.status === 'queued' || body.status === 'running';
    units = body.file_name ? ['block', 'blocks'] : ['sentence', 'sentences'];
    if (body.file_name) showFile(running ? 'Translating ' : '', running ? body.file_name : '', '');
    job = newJob(id, body.text_en || '', body.done || 0);
    updateOutputFoot('');
    if (!running) {
      finishJob(body);
      return;
    }
    setProgress(body.done || 0, body.total || 0, body.eta_seconds);
    rememberJob(id);
    setBusy(true);
    followEvents(job);
  }

  async function cancelJob() {
    if (!job || job.finished) return;
    cancelButton.disabled = true;
    progressText.textContent = 'Cancelling\u2026';
    try {
      var response = await fetch('/api/jobs/' + encodeURIComponent(job.id), {
        method: 'DELETE', headers: { 'X-CSRF-Token': token, 'Accept': 'application/json' },
        credentials: 'same-origin'
      });
      if (!response.ok) {
        var body = await readJson(response);
        cancelButton.disabled = false;
        showNotice('error', httpMessage(response, body, 'Cancelling'));
      }
      // The events stream ends with status "cancelled".
    } catch (e) {
      cancelButton.disabled = false;
      showNotice('error', 'The server could not be reached to cancel. Try again.');
    }
  }

  if (!window.fetch || !window.ReadableStream || !window.TextDecoder || !window.URL) return;  // plain form POST
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (event.submitter && event.submitter.id === 'file-button') {
      createFileJob(fileInput && fileInput.files.length ? fileInput.files[0] : null);
    } else {
      createJob();
    }
  });
  if (fileInput) {
    fileInput.addEventListener('change', function () { if (fileInput.files.length) createFileJob(fileInput.files[0]); });
  }
  // A document dropped on the text box (or anywhere on its pane) is translated like a chosen one.
  var dropZone = input.closest('.pane') || input;
  dropZone.addEventListener('dragover', function (event) {
    if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') < 0) return;
    event.preventDefault();
    dropZone.classList.add('dropping');
  });
  dropZone.addEventListener('dragleave', function () { dropZone.classList.remove('dropping'); });
  dropZone.addEventListener('drop', function (event) {
    dropZone.classList.remove('dropping');
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    createFileJob(event.dataTransfer.files[0]);
  });
  input.addEventListener('input', function () {
    updateCounts();
    if (input.value.length <= 1000000) store('session', TEXT_KEY, input.value);
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); createJob(); }
  });
  cancelButton.addEventListener('click', cancelJob);
  sourceSelect.addEventListener('change', function () { showDetected(''); updateLanguages(); rememberPair(); });
  targetSelect.addEventListener('change', function () { updateLanguages(); rememberPair(); });
  swapButton.addEventListener('click', swapLanguages);
  output.addEventListener('scroll', function () {
    if (job) job.follow = output.scrollTop + output.clientHeight >= output.scrollHeight - 24;
  });
  copyButton.addEventListener('click', function () {
    var text = output.textContent;
    var done = function () {
      copyButton.textContent = 'Copied';
      setTimeout(function () { copyButton.textContent = 'Copy'; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { showNotice('warning', 'Copying was not allowed by the browser.'); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(output);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand('copy'); done(); } catch (e) { /* selection stays for manual copy */ }
    }
  });
  // The typed text survives a reload (browsers do not always restore a textarea).
  if (!input.value) {
    var draft = store('session', TEXT_KEY);
    if (draft) input.value = draft;
  }
  restorePair();
  updateLanguages();
  if (form.getAttribute('data-pair-chosen')) rememberPair();
  updateCounts();
  updateOutputFoot(outCounts.querySelector('a') ? outCounts.querySelector('a').getAttribute('href') : '');
  var wanted = new URL(window.location.href).searchParams.get('job') || store('local', JOB_KEY);
  if (wanted && /^[A-Za-z0-9_-]{1,64}$/.test(wanted)) resumeJob(wanted);
})();
)JS";

constexpr std::string_view kIcon =
    R"SVG(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#2456c9"/><text x="32" y="45" font-family="system-ui,sans-serif" font-size="38" font-weight="700" text-anchor="middle" fill="#fff">d</text></svg>
)SVG";

Asset MakeAsset(std::string_view name, std::string_view type, std::string_view content) {
  return Asset{name, type, content, Sha256Hex(content).substr(0, 16)};
}

const std::array<Asset, 3>& Assets() {
  static const std::array<Asset, 3> assets = {
      MakeAsset("app.css", "text/css; charset=utf-8", kStylesheet),
      MakeAsset("app.js", "text/javascript; charset=utf-8", kScript),
      MakeAsset("icon.svg", "image/svg+xml", kIcon),
  };
  return assets;
}

}  // namespace

const Asset* FindAsset(std::string_view name) {
  for (const Asset& asset : Assets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace dolmetsch::web
