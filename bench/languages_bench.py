#!/usr/bin/env python3
"""Several models in one `dolmetsch translator`: memory per loaded model, load time on first use, and the
throughput of two models under load together versus each alone. Prints figures; asserts nothing.

A random model of opus-mt-de-en's shape (`make-random-model --like opus-mt-de-en`) is served under two pair
names (opus-mt-de-en and opus-mt-en-de, symlinked folders: the registry loads each on its own), so the two
"models" cost the same and their figures compare. Every sentence decodes exactly --tokens tokens
(--forced-new-tokens), so the work per request is fixed whatever the random weights say.

  python3 bench/languages_bench.py                      # build/release/dolmetsch, work folder /tmp/...
  python3 bench/languages_bench.py --seconds 20 --clients 4 --workers 2

The machine may be shared: the load average is printed before and after; compare figures of one run.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
    return int(m.group(1)) * 1024 if m else -1


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def post(port, path, body, timeout=300):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.read().decode()


def metric(text, name):
    m = re.search(r"(^|\n)" + re.escape(name) + r" ([0-9.e+-]+)\n", text)
    return float(m.group(2)) if m else None


class Translator:
    def __init__(self, binary, models_dir, args):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="languages_bench_", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [binary, "translator", "--models-dir", models_dir, "--host", "127.0.0.1", "--port", str(self.port),
             "--cache-entries", "0"] + args,
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if get(self.port, "/ready"):
                    return
            except Exception:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                break
        raise SystemExit("the translator did not become ready; log: " + self.log.name)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        os.unlink(self.log.name)


def memory_and_load_time(binary, models_dir, compute_type, tokens):
    t = Translator(binary, models_dir, ["--compute-type", compute_type, "--forced-new-tokens", str(tokens)])
    try:
        idle = rss_bytes(t.proc.pid)
        rows = []
        for source, target in (("de", "en"), ("en", "de")):
            before = rss_bytes(t.proc.pid)
            start = time.time()
            post(t.port, "/translate", {"q": "Guten Morgen.", "source": source, "target": target})
            first = time.time() - start
            start = time.time()
            post(t.port, "/translate", {"q": "Guten Abend.", "source": source, "target": target})
            second = time.time() - start
            after = rss_bytes(t.proc.pid)
            metrics = get(t.port, "/metrics")
            name = f"opus-mt-{source}-{target}"
            load_seconds = metric(metrics, f'dolmetsch_model_load_seconds_last{{model="{name}"}}')
            loaded_bytes = metric(metrics, f'dolmetsch_model_loaded_bytes{{model="{name}"}}')
            rows.append((name, (after - before) / 2**20, loaded_bytes / 2**20, load_seconds, first, second))
        total = (rss_bytes(t.proc.pid) - idle) / 2**20
    finally:
        t.stop()
    print(f"\n{compute_type}: RSS of the idle service {idle / 2**20:.0f} MiB; both models loaded: +{total:.0f} MiB")
    print(f"  {'model':16} {'RSS growth':>11} {'registry':>9} {'load s':>7} {'1st req s':>10} {'2nd req s':>10}")
    for name, growth, registry, load_s, first, second in rows:
        print(f"  {name:16} {growth:9.0f} MiB {registry:5.0f} MiB {load_s:7.2f} {first:10.3f} {second:10.3f}")


def throughput(binary, models_dir, compute_type, tokens, clients, seconds, workers, lines):
    t = Translator(binary, models_dir, ["--compute-type", compute_type, "--forced-new-tokens", str(tokens),
                                        "--workers", str(workers), "--preload"])
    try:
        def run(pairs):
            done = [0] * clients
            stop = time.time() + seconds
            def client(i):
                source, target = pairs[i % len(pairs)]
                k = i
                while time.time() < stop:
                    post(t.port, "/translate", {"q": lines[k % len(lines)], "source": source, "target": target})
                    done[i] += 1
                    k += clients
            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            start = time.time()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.time() - start
            per_pair = {}
            for i in range(clients):
                pair = "-".join(pairs[i % len(pairs)])
                per_pair[pair] = per_pair.get(pair, 0) + done[i]
            return sum(done) / elapsed, {p: n / elapsed for p, n in per_pair.items()}

        de_alone, _ = run([("de", "en")])
        en_alone, _ = run([("en", "de")])
        together, split = run([("de", "en"), ("en", "de")])
    finally:
        t.stop()
    print(f"\n{compute_type}, {clients} clients, {workers} worker(s), {tokens} tokens per sentence, "
          f"{seconds:.0f} s each (sentences/s):")
    print(f"  de-en alone {de_alone:7.1f}   en-de alone {en_alone:7.1f}   "
          f"together {together:7.1f} (de-en {split.get('de-en', 0):.1f} + en-de {split.get('en-de', 0):.1f}); "
          f"together / mean alone = {together / ((de_alone + en_alone) / 2):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build/release/dolmetsch"))
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "dolmetsch-languages-bench"))
    parser.add_argument("--tokens", type=int, default=16, help="tokens decoded per sentence")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="--workers of the translator")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--compute-types", default="float32,int8")
    parser.add_argument("--keep", action="store_true", help="keep the random model in --workdir")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} is missing: cmake --build --preset release --target dolmetsch")
    random_dir = os.path.join(args.workdir, "random-opus-mt")
    models_dir = os.path.join(args.workdir, "models")
    if not os.path.exists(os.path.join(random_dir, "config.json")):
        subprocess.run([args.binary, "make-random-model", "--like", "opus-mt-de-en", "--out", random_dir],
                       check=True, stdout=subprocess.DEVNULL)
    os.makedirs(models_dir, exist_ok=True)
    for pair in ("de-en", "en-de"):
        link = os.path.join(models_dir, "opus-mt-" + pair)
        if not os.path.islink(link):
            os.symlink(random_dir, link)
    with open(os.path.join(ROOT, "tests/fixtures/text/faust_500.txt"), encoding="utf-8") as f:
        lines = [l.strip() for l in f if len(l.strip()) > 20][:200]
    print(f"languages_bench: {os.cpu_count()} CPUs, load average before {loadavg()}")
    try:
        for compute_type in args.compute_types.split(","):
            memory_and_load_time(args.binary, models_dir, compute_type, args.tokens)
        for compute_type in args.compute_types.split(","):
            throughput(args.binary, models_dir, compute_type, args.tokens, args.clients, args.seconds,
                       args.workers, lines)
    finally:
        print(f"\nload average after {loadavg()}")
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
