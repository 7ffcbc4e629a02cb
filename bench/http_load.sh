#!/usr/bin/env bash
# The HTTP front-door benchmark of docs/http.md: one dolmetsch binary, its translator (tiny test model) and
# web app on loopback, load_bench at 1, 8, 64 and 1000 connections against each, then the same 8 normal
# clients with and without 80 slowloris connections beside them. Prints load_bench's JSON lines.
#
#   bench/http_load.sh BINARY LOAD_BENCH [SECONDS_PER_RUN]
set -euo pipefail
bin=$1
bench=$2
secs=${3:-10}
cd "$(dirname "$0")/.."
ulimit -n 20000 2>/dev/null || true
tmp=$(mktemp -d)
tport=$((20000 + RANDOM % 10000))
wport=$((tport + 1))
cleanup() {
  [[ -n ${wpid:-} ]] && kill "$wpid" 2>/dev/null || true
  [[ -n ${tpid:-} ]] && kill "$tpid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$bin" translator --model tests/fixtures/tiny-de-en --host 127.0.0.1 --port "$tport" --max-active-requests 4096 \
  >"$tmp/translator.log" 2>&1 &
tpid=$!
"$bin" web --translator "http://127.0.0.1:$tport" --host 127.0.0.1 --port "$wport" \
  --db "sqlite://$tmp/web.db" --no-journal >"$tmp/web.log" 2>&1 &
wpid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$tport/ready" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$wport/health" >/dev/null 2>&1 && break
  sleep 0.1
done
run() { echo "# $*"; "$bench" --seconds "$secs" --timeout-ms 30000 "$@" | tail -1; }
for c in 1 8 64 1000; do run --port "$tport" --clients "$c" --path /translate; done
for c in 1 8 64 1000; do run --port "$wport" --clients "$c" --method GET --path /; done
run --port "$tport" --clients 8 --path /translate
run --port "$tport" --clients 8 --path /translate --slowloris 80
run --port "$wport" --clients 8 --method GET --path /
run --port "$wport" --clients 8 --method GET --path / --slowloris 80 --idle 500
