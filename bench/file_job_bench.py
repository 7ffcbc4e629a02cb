#!/usr/bin/env python3
"""A document as a web job vs. the command line (docs/web.md, "Files").

For each FILE: runs `dolmetsch translate --file FILE --out OUT` (the reference: the same parsers and
alignment in one process), then starts `dolmetsch serve` (SQLite, one job worker) on loopback, uploads the
file as the page does (multipart POST /api/jobs), follows GET /api/jobs/ID/events and downloads
/jobs/ID/file. Prints, per file: CLI wall seconds; job seconds to the first block, to the end, and to the
downloaded file; blocks; whether the downloaded file equals the CLI's output byte for byte (same model and
search: with float32 they must; with int8 a sentence's output may depend on the batch it was decoded in,
and the server batches differently than the CLI); and a JSON line. The server's peak RSS is read from /proc at the end.

  bench/file_job_bench.py --binary build/release/dolmetsch --model /tmp/rand-de-en FILE [FILE...]
      [--compute-type int8] [--threads 2]

The machine's load average is printed before and after: on a shared machine the figures vary with it.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

from job_bench import free_port, open_page, read_events, wait_ready  # bench/ is on sys.path when run


def multipart(fields, file_name, content):
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, name, value)).encode()
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (boundary, file_name)).encode()
    out += content + ("\r\n--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


def job(port, path):
    c, cookie, token = open_page(port)
    with open(path, "rb") as f:
        body, content_type = multipart({"source": "de", "target": "en"}, os.path.basename(path), f.read())
    start = time.monotonic()
    c.request("POST", "/api/jobs", body, {"Content-Type": content_type, "Cookie": cookie, "X-CSRF-Token": token})
    r = c.getresponse()
    created = json.loads(r.read())
    if r.status != 202:
        raise RuntimeError("POST /api/jobs answered %d: %s" % (r.status, created))
    c.request("GET", created["events_url"], headers={"Cookie": cookie})
    r = c.getresponse()
    first, end = None, None
    for event, data in read_events(r):
        if event == "progress" and first is None:
            first = time.monotonic() - start
        elif event == "end":
            end = json.loads(data)
            break
    done = time.monotonic() - start
    if end is None or end["status"] != "done":
        raise RuntimeError("the job ended: %s" % end)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)  # the event stream's may still be open
    c.request("GET", end["download_url"], headers={"Cookie": cookie})
    r = c.getresponse()
    translated = r.read()
    if r.status != 200:
        raise RuntimeError("download answered %d" % r.status)
    return {"first_block_s": round(first if first is not None else done, 2), "done_s": round(done, 2),
            "downloaded_s": round(time.monotonic() - start, 2), "blocks": end["total"]}, translated


def peak_rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default="build/release/dolmetsch")
    p.add_argument("--model", required=True)
    p.add_argument("--compute-type", default="int8")
    p.add_argument("--threads", default="2")
    p.add_argument("files", nargs="+")
    args = p.parse_args()
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    common = ["--model", args.model, "--compute-type", args.compute_type, "--threads", args.threads]
    with tempfile.TemporaryDirectory() as tmp:
        cli = {}
        for path in args.files:
            out = os.path.join(tmp, "cli-" + os.path.basename(path))
            start = time.monotonic()
            subprocess.run([args.binary, "translate", *common, "--file", path, "--out", out], check=True,
                           stdout=subprocess.DEVNULL)
            cli[path] = (time.monotonic() - start, open(out, "rb").read())
        port = free_port()
        server = subprocess.Popen([args.binary, "serve", *common, "--port", str(port), "--db",
                                   "sqlite://" + os.path.join(tmp, "history.db"), "--job-workers", "1"],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "serve.log"), "w"))
        try:
            if not wait_ready(port, "/ready", 300):
                sys.exit("serve did not become ready: " + open(os.path.join(tmp, "serve.log")).read()[-2000:])
            for path in args.files:
                figures, translated = job(port, path)
                cli_seconds, cli_bytes = cli[path]
                figures.update({"file": os.path.basename(path), "bytes": os.path.getsize(path),
                                "cli_s": round(cli_seconds, 2), "same_bytes_as_cli": translated == cli_bytes})
                print("%-24s cli %8.1f s | job: first block %6.1f s, done %8.1f s, downloaded %8.1f s, %d blocks, "
                      "same bytes as the CLI: %s" % (figures["file"], cli_seconds, figures["first_block_s"],
                                                     figures["done_s"], figures["downloaded_s"], figures["blocks"],
                                                     figures["same_bytes_as_cli"]))
                print(json.dumps(figures))
            print("serve peak RSS: %.0f MiB" % (peak_rss_mib(server.pid) or 0))
        finally:
            server.terminate()
            server.wait(timeout=60)
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
