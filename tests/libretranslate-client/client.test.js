// A real LibreTranslate client library from npm ("libretranslate", the wrapper whose language check failed
// against one-pair servers: it lists /languages and refuses codes not there) against `dolmetsch translator`
// serving several models. scripts/libretranslate-client starts the server and sets DOLMETSCH_URL.
// The server serves de-en and en-de (both the fixture model) and en-fr,es (a random multilingual model), with
// pivots on: de -> fr goes through English.
const test = require("node:test");
const assert = require("node:assert/strict");
const { translate } = require("libretranslate");

const apiurl = process.env.DOLMETSCH_URL;
const german = "Das Wetter ist heute schön, und wir gehen am Nachmittag im Park spazieren.";

async function post(path, body) {
  const res = await fetch(`${apiurl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test("the server is given", () => {
  assert.ok(apiurl, "set DOLMETSCH_URL (scripts/libretranslate-client does)");
});

test("languages: every source and target code, with names and targets", async () => {
  const res = await fetch(`${apiurl}/languages`);
  const languages = await res.json();
  const codes = languages.map((l) => l.code).sort();
  assert.deepEqual(codes, ["de", "en", "es", "fr"]);
  const de = languages.find((l) => l.code === "de");
  assert.equal(de.name, "German");
  assert.deepEqual(de.targets, ["en", "es", "fr"]);  // es and fr through English
});

test("translate: the client's pairs, each as the HTTP API answers", async () => {
  for (const [source, target] of [["de", "en"], ["en", "de"], ["en", "fr"], ["en", "es"], ["de", "fr"]]) {
    const viaClient = await translate({ query: german, source, target, apiurl });
    assert.equal(typeof viaClient, "string", `${source}-${target}`);
    assert.ok(viaClient.length > 0, `${source}-${target}`);
    const direct = await post("/translate", { q: german, source, target });
    assert.equal(direct.status, 200);
    assert.equal(viaClient, direct.body.translatedText, `${source}-${target}`);
  }
});

test("translate without a source: detected (auto), as LibreTranslate does", async () => {
  const viaClient = await translate({ query: german, target: "en", apiurl });
  const named = await translate({ query: german, source: "de", target: "en", apiurl });
  assert.equal(viaClient, named);
  const answer = await post("/translate", { q: german, source: "auto", target: "en" });
  assert.equal(answer.body.detectedLanguage.language, "de");
  assert.ok(answer.body.detectedLanguage.confidence > 50);
});

test("a language the server does not serve is refused by the client's check", async () => {
  await assert.rejects(translate({ query: german, source: "de", target: "ja", apiurl }),
                       /This language was not found\/does not exist/);
  const refused = await post("/translate", { q: german, source: "fr", target: "de" });
  assert.equal(refused.status, 400);
  assert.match(refused.body.error, /no model translates fr to de/);
  assert.match(refused.body.error, /served pairs: .*de-en.*en-de/);
});

test("detect: LibreTranslate's [{language, confidence}]", async () => {
  const english = await post("/detect", { q: "The weather is lovely today, and we are going for a walk." });
  assert.equal(english.status, 200);
  assert.equal(english.body[0].language, "en");
  assert.ok(english.body[0].confidence > 50 && english.body[0].confidence <= 100);
  const form = await fetch(`${apiurl}/detect`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ q: german }),
  });
  const detected = await form.json();
  assert.equal(detected[0].language, "de");
});

test("format html: one sentence with its bold word, tags kept", async () => {
  const html = "<p>Das Wetter ist <b>heute</b> schön. <code>x = 1</code></p>";
  const answer = await post("/translate", { q: html, source: "de", target: "en", format: "html" });
  assert.equal(answer.status, 200);
  const out = answer.body.translatedText;
  assert.match(out, /^<p>.*<\/p>$/s);
  assert.equal((out.match(/<b>/g) || []).length, 1, out);
  assert.ok(out.includes("<code>x = 1</code>"), out);
});

// As LibreTranslate's own web page uploads a file: FormData with file, source, target; then it fetches
// translatedFileUrl.
test("translate_file: upload as LibreTranslate's page does, download by the URL", async () => {
  const settings = await (await fetch(`${apiurl}/frontend/settings`)).json();
  assert.equal(settings.filesTranslation, true);
  assert.ok(settings.supportedFilesFormat.includes(".srt"));
  const srt = "1\n00:00:01,000 --> 00:00:02,000\nDas Wetter ist\n\n2\n00:00:02,500 --> 00:00:04,000\nheute schön.\n";
  const form = new FormData();
  form.append("file", new Blob([srt], { type: "application/x-subrip" }), "wetter.srt");
  form.append("source", "de");
  form.append("target", "en");
  const res = await fetch(`${apiurl}/translate_file`, { method: "POST", body: form });
  assert.equal(res.status, 200);
  const { translatedFileUrl } = await res.json();
  assert.match(translatedFileUrl, /\/download_file\/[0-9a-f]{32}\/wetter\.srt$/);
  const file = await fetch(translatedFileUrl);
  assert.equal(file.status, 200);
  const text = await file.text();
  assert.ok(text.startsWith("1\n00:00:01,000 --> 00:00:02,000\n"), text);
  assert.ok(text.includes("\n2\n00:00:02,500 --> 00:00:04,000\n"), text);
  const unknown = new FormData();
  unknown.append("file", new Blob([new Uint8Array([1, 2, 3])]), "data.xyz");
  const refused = await fetch(`${apiurl}/translate_file`, { method: "POST", body: unknown });
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).error, /data\.xyz/);
});
