#!/usr/bin/env python3
"""Translation jobs vs. the translator directly (docs/web.md, "Job overhead").

Starts `dolmetsch translator` (cache off, so both runs decode everything) and `dolmetsch web` (SQLite,
one job worker) on loopback, then for each text measures

  direct: POST /v1/translate {"stream": true} on the translator: seconds to the first progress event
          (the first English sentence) and to the done event;
  job:    POST /api/jobs on the web app, then GET /api/jobs/ID/events: seconds (from the POST) to the first
          progress event and to the end event;

and prints one line per text and a JSON line per measurement. Texts: the first 10 KB and 100 KB of
faust.txt (cut at a line end) and, with --full, all of it.

  bench/job_bench.py --binary build/release/dolmetsch --model /tmp/rand-de-en \
      --text /work/shared/data/faust.txt [--sizes 10,100] [--full] [--compute-type int8] [--threads 2]
      [--only job|direct]

"1st" is the first English the client can show: the first progress event, or the end when none came
before it (the translator reports segments in document order as the leading ones finish; its scheduler
may finish them in bursts).

The machine's load average is printed before and after: on a shared machine the figures vary with it.
"""
import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(port, path, limit):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def read_events(response):
    """Yields (event, data) from a text/event-stream response as they arrive."""
    event, data = "", []
    while True:
        line = response.readline()
        if not line:
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if line == "":
            if event or data:
                yield event or "message", "\n".join(data)
            event, data = "", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))


def direct(translator_port, text):
    start = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", translator_port, timeout=36000)
    c.request("POST", "/v1/translate", json.dumps({"text": text, "stream": True}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError("translator answered %d: %s" % (r.status, r.read()[:300]))
    first, sentences = None, 0
    for event, data in read_events(r):
        if event == "progress":
            sentences += 1
            if first is None:
                first = time.monotonic() - start
        elif event == "done":
            total = time.monotonic() - start
            return first if first is not None else total, total, sentences, json.loads(data)["translations"][0]["text"]
        elif event == "error":
            raise RuntimeError("translator error: " + data)
    raise RuntimeError("the translator's stream ended early")


def open_page(web_port):
    """A visitor of the web app: a connection, its session cookie and the page's CSRF token."""
    c = http.client.HTTPConnection("127.0.0.1", web_port, timeout=36000)
    c.request("GET", "/")
    page = c.getresponse()
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.read().decode()).group(1)
    return c, cookie, token


def job(web_port, text):
    c, cookie, token = open_page(web_port)
    start = time.monotonic()
    c.request("POST", "/api/jobs", json.dumps({"text": text}),
              {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": token})
    r = c.getresponse()
    body = json.loads(r.read())
    if r.status != 202:
        raise RuntimeError("POST /api/jobs answered %d: %s" % (r.status, body))
    c.request("GET", body["events_url"], headers={"Cookie": cookie})
    r = c.getresponse()
    first, pieces = None, 0
    for event, data in read_events(r):
        if event == "progress":
            pieces += 1
            if first is None:
                first = time.monotonic() - start
        elif event == "end":
            end = json.loads(data)
            if end["status"] != "done":
                raise RuntimeError("the job ended %s: %s" % (end["status"], end.get("error")))
            # No progress event before the end: the first English the client sees is the end's text_en.
            total = time.monotonic() - start
            return first if first is not None else total, total, end["total"], end["text_en"]
    raise RuntimeError("the job's event stream ended early")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default="build/release/dolmetsch")
    p.add_argument("--model", required=True)
    p.add_argument("--text", default="/work/shared/data/faust.txt")
    p.add_argument("--full", action="store_true", help="also the whole text")
    p.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",") if x], default=[10, 100],
                   help="prefixes of the text to measure, in KB (default: 10,100)")
    p.add_argument("--compute-type", default="int8")
    p.add_argument("--keep-logs", action="store_true", help="keep the temporary folder with the logs")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", choices=["both", "job", "direct"], default="both",
                   help="measure one path only (e.g. the job path of a long text on a busy machine)")
    args = p.parse_args()

    with open(args.text, encoding="utf-8") as f:
        whole = f.read()

    def prefix(n):
        cut = whole.rfind("\n", 0, n)
        return whole[: cut + 1 if cut > 0 else n]

    texts = [("%d KB" % kb, prefix(kb * 1000)) for kb in args.sizes]
    if args.full:
        texts.append(("%s (%d KB)" % (os.path.basename(args.text), len(whole.encode()) // 1000), whole))

    tmp = tempfile.mkdtemp(prefix="dolmetsch-job-bench-")
    tport, wport = free_port(), free_port()
    procs = []
    try:
        procs.append(subprocess.Popen(
            [args.binary, "translator", "--model", args.model, "--host", "127.0.0.1", "--port", str(tport),
             "--compute-type", args.compute_type, "--threads", str(args.threads), "--cache-entries", "0",
             "--request-timeout", "36000"],
            stdout=open(os.path.join(tmp, "translator.log"), "w"), stderr=subprocess.STDOUT))
        if not wait_ready(tport, "/ready", 300):
            sys.exit("the translator did not get ready; see " + tmp + "/translator.log")
        procs.append(subprocess.Popen(
            [args.binary, "web", "--translator", "http://127.0.0.1:%d" % tport, "--host", "127.0.0.1",
             "--port", str(wport), "--db", "sqlite://" + os.path.join(tmp, "web.db"), "--no-journal",
             "--job-workers", "1", "--translator-timeout", "36000"],
            stdout=open(os.path.join(tmp, "web.log"), "w"), stderr=subprocess.STDOUT))
        if not wait_ready(wport, "/ready", 60):
            sys.exit("the web app did not get ready; see " + tmp + "/web.log")
        print("load average before: %.2f %.2f %.2f" % os.getloadavg())
        print("%-22s %10s %12s %12s %12s %12s" % ("text", "sentences", "direct 1st", "direct all",
                                                  "job 1st", "job all"))
        for name, text in texts:
            nan = float("nan")
            d_first, d_total, d_n, d_text = nan, nan, 0, None
            j_first, j_total, j_n, j_text = nan, nan, 0, None
            if args.only in ("both", "direct"):
                d_first, d_total, d_n, d_text = direct(tport, text)
            if args.only in ("both", "job"):
                j_first, j_total, j_n, j_text = job(wport, text)
            if args.only == "both":
                same = "same text" if d_text == j_text else "TEXTS DIFFER"
            else:
                same = "(%s only)" % args.only
            print("%-22s %10d %11.2fs %11.2fs %11.2fs %11.2fs  %s  (load %.2f)" % (
                name, max(d_n, j_n), d_first, d_total, j_first, j_total, same, os.getloadavg()[0]))
            row = {"text": name, "bytes": len(text.encode()), "sentences": max(d_n, j_n),
                   "load1": os.getloadavg()[0]}
            if d_text is not None:
                row.update({"direct_first_s": round(d_first, 3), "direct_total_s": round(d_total, 3)})
            if j_text is not None:
                row.update({"job_first_s": round(j_first, 3), "job_total_s": round(j_total, 3),
                            "job_sentences": j_n})
            if d_text is not None and j_text is not None:
                row["same_text"] = d_text == j_text
            print(json.dumps(row), flush=True)
        print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep_logs:
            print("logs in " + tmp)
        else:
            subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
