#!/usr/bin/env bash
# Time and peak RSS of `dolmetsch translate --file` on a 200-page .docx and a 2-hour .srt against the same
# text as plain .txt (bench/make_documents.py writes them), with a random opus-mt-de-en-size model.
#   bench/document_files.sh [WORK_DIR]      (default /tmp/dolmetsch-document-files)
# Environment: BUILD_DIR (default build/release), COMPUTE_TYPE (int8), THREADS (2), BEAM (1),
# MODEL (default WORK_DIR/random-de-en, written by make-random-model when missing),
# INPUTS (default "book.docx book.txt film.srt film.txt").
# Prints one line per input: wall and CPU (user + system) seconds, peak RSS, sentences; the logs stay in
# WORK_DIR. On a shared machine compare CPU seconds: wall time there depends on the other load.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/dolmetsch-document-files}"
bin="${BUILD_DIR:-build/release}/dolmetsch"
model="${MODEL:-$work/random-de-en}"
mkdir -p "$work"
if [[ ! -f "$model/config.json" ]]; then
  "$bin" make-random-model --like opus-mt-de-en --out "$model" >/dev/null
fi
python3 bench/make_documents.py "$work" --shared ../shared
printf '%-10s %10s %10s %12s  %s\n' input "wall s" "CPU s" "peak RSS MB" "translate --progress"
for input in ${INPUTS:-book.docx book.txt film.srt film.txt}; do
  ext="${input##*.}"
  log="$work/$input.time"
  /usr/bin/time -v "$bin" translate --model "$model" --compute-type "${COMPUTE_TYPE:-int8}" \
    --threads "${THREADS:-2}" --beam-size "${BEAM:-1}" --progress --file "$work/$input" \
    --out "$work/out.$input.$ext" 2>"$log" >/dev/null || { echo "$input: FAILED"; tail -5 "$log"; exit 1; }
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.1f", s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  # The markup path's summary ("docx, N blocks, M sentences translated"), or the text pipeline's last count.
  progress=$(tr '\r' '\n' <"$log" | grep -E "^dolmetsch( translate)?: [0-9a-z]" | tail -1 | sed -E 's/^dolmetsch( translate)?: //' || true)
  printf '%-10s %10s %10s %12s  %s\n' "$input" "$wall" "$cpu" "$rss" "$progress"
done
