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
)CSS";

constexpr std::string_view kScript =
    R"JS(// dolmetsch: progressive enhancement of the translate page. Without this script the form posts normally.
(function () {
  'use strict';
  var form = document.getElementById('translate-form');
  if (!form) return;
  var input = document.getElementById('text-de');
  var output = document.getElementById('text-en');
  var counts = document.getElementById('counts');
  var outCounts = document.getElementById('counts-en');
  var button = document.getElementById('translate-button');
  var copyButton = document.getElementById('copy-button');
  var progressBox = document.getElementById('progress');
  var progressBar = document.getElementById('progress-bar');
  var progressText = document.getElementById('progress-text');
  var notice = document.getElementById('notice');
  var token = form.querySelector('input[name="csrf_token"]').value;
  var busy = false;

  function stats(text) {
    var chars = Array.from(text).length;
    var t = text.trim();
    if (!t) return [chars, 0];
    var ends = t.match(/[.!?\u2026]+["'\u00bb\u00ab\u201c\u201d\u201e)]*(?=\s|$)/g) || [];
    var n = ends.length;
    if (!/[.!?\u2026]["'\u00bb\u00ab\u201c\u201d\u201e)]*$/.test(t)) n += 1;
    return [chars, n];
  }
  function plural(n, one, many) { return n.toLocaleString() + ' ' + (n === 1 ? one : many); }
  function updateCounts() {
    var s = stats(input.value);
    counts.textContent = plural(s[0], 'character', 'characters') + ' \u00b7 ' + plural(s[1], 'sentence', 'sentences');
  }
  // The English pane's footer: character count, and a link to the stored entry when there is one.
  function updateOutputCounts(savedId) {
    var text = output.textContent;
    copyButton.hidden = !text;
    var existing = outCounts.querySelector('a');
    var href = savedId ? '/history/' + savedId : (savedId === undefined && existing ? existing.getAttribute('href') : '');
    outCounts.textContent = text ? plural(Array.from(text).length, 'character', 'characters') : '';
    if (href) {
      if (text) outCounts.appendChild(document.createTextNode(' \u00b7 '));
      var link = document.createElement('a');
      link.href = href;
      link.textContent = 'Saved to the history';
      outCounts.appendChild(link);
    }
  }
  function showNotice(kind, message) {
    if (!message) { notice.hidden = true; notice.textContent = ''; return; }
    notice.className = 'notice ' + kind;
    notice.textContent = message;
    notice.hidden = false;
  }
  function setProgress(done, total) {
    progressBox.hidden = false;
    progressBar.max = Math.max(total, 1);
    progressBar.value = done;
    progressText.textContent = total > 0 ? done + ' / ' + total + ' sentences' : 'Translating\u2026';
  }
  function finish() {
    busy = false;
    button.disabled = false;
    button.textContent = 'Translate';
    form.removeAttribute('aria-busy');
  }

  function handleEvent(name, data) {
    if (name === 'progress') {
      setProgress(data.done, data.total);
    } else if (name === 'done') {
      output.textContent = data.text_en;
      updateOutputCounts(data.saved && data.id ? data.id : 0);
      setProgress(data.sentences || 0, data.sentences || 0);
      progressText.textContent = 'Done';
      showNotice(data.notice_kind || 'ok', data.notice || '');
    } else if (name === 'error') {
      progressBox.hidden = true;
      showNotice('error', data.error || 'The translation failed.');
    }
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split('\n\n');
    var rest = parts.pop();
    parts.forEach(function (block) {
      var name = 'message', data = '';
      block.split('\n').forEach(function (line) {
        if (line.indexOf('event:') === 0) name = line.slice(6).trim();
        else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
      });
      if (data) {
        try { onEvent(name, JSON.parse(data)); } catch (e) { /* ignore a malformed event */ }
      }
    });
    return rest;
  }

  async function translate() {
    if (busy) return;
    var text = input.value;
    if (!text.trim()) { showNotice('warning', 'Enter some German text to translate.'); input.focus(); return; }
    busy = true;
    button.disabled = true;
    button.textContent = 'Translating\u2026';
    form.setAttribute('aria-busy', 'true');
    showNotice('', '');
    setProgress(0, 0);
    try {
      var response = await fetch('/api/translate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': token,
                   'Accept': 'text/event-stream' },
        body: new URLSearchParams({ text: text }),
        credentials: 'same-origin'
      });
      var type = response.headers.get('Content-Type') || '';
      if (!response.ok || type.indexOf('text/event-stream') !== 0) {
        var message = 'The translation failed (HTTP ' + response.status + ').';
        try { var body = await response.json(); if (body.error) message = body.error; } catch (e) { /* keep */ }
        progressBox.hidden = true;
        showNotice('error', message);
        return;
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, '\n'), handleEvent);
      }
      parseEvents(buffer + '\n\n', handleEvent);
    } catch (e) {
      progressBox.hidden = true;
      showNotice('error', 'The connection to the server was lost: ' + e.message);
    } finally {
      finish();
    }
  }

  if (!window.fetch || !window.ReadableStream || !window.TextDecoder) return;  // plain form POST then
  form.addEventListener('submit', function (event) { event.preventDefault(); translate(); });
  input.addEventListener('input', updateCounts);
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); translate(); }
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
  updateCounts();
  updateOutputCounts();
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
