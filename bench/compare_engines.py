#!/usr/bin/env python3
"""Runs several translation engines under the engine-comparison convention and prints one table.

The convention (issue #7, docs/benchmarks.md): an engine reads raw text lines from an input file and
writes one line per input line to an output file (target token ids or pieces, space-separated); lines
are translated in consecutive batches of B lines in file order; every sentence of a batch decodes exactly
N = min(64, the largest source token count in the batch, EOS not counted) new tokens, EOS banned before
that; the engine may print one JSON line with "load_s" and "translate_s" on stdout.

Each engine is a command-line template; placeholders are filled in per run:
  {model} {input} {output} {batch} {beam} {threads} {lines}
e.g.
  --engine 'dolmetsch-float32=build/release/dolmetsch bench --model {model} --input {input}
            --output {output} --batch-size {batch} --beam-size {beam} --threads {threads}'

Every engine runs at every (batch, threads) pair, interleaved per pair so that drift of a busy machine
hits all engines alike. Per run: peak RSS of the child (os.wait4 ru_maxrss, which covers the child's own
waited-for children too), wall time, load_s/translate_s from the engine's JSON line (else translate time
= wall time), target tokens counted in the output file, one output line per input line checked.

Python 3 standard library only. Exit status: 0 when every run succeeded, 1 when any failed, 2 on usage
errors.
"""

import argparse
import dataclasses
import json
import os
import shlex
import shutil
import signal
import string
import sys
import tempfile
import threading
import time

PLACEHOLDERS = ("model", "input", "output", "batch", "beam", "threads", "lines")
DEFAULT_TEXT = "../shared/data/faust.txt"
STDERR_TAIL_LINES = 15


class UsageError(Exception):
    """A mistake in the command line or an engine template; the message says what to fix."""


@dataclasses.dataclass
class Engine:
    name: str
    template: list  # argv tokens with placeholders


@dataclasses.dataclass
class ChildResult:
    returncode: int  # negative: killed by that signal
    wall_s: float
    maxrss_kib: int
    stdout: str
    stderr: str
    timed_out: bool = False
    cpu_s: float = 0.0  # user + system time of the child and its waited-for children


@dataclasses.dataclass
class OutputStats:
    lines: int = 0
    tokens: int = 0
    ragged_batches: int = 0  # batches whose lines do not all have the same token count


@dataclasses.dataclass
class RunRecord:
    engine: str
    batch: int
    threads: int
    lines: int
    command: list
    ok: bool = False
    error: str = ""
    wall_s: float = 0.0
    load_s: float = None
    translate_s: float = None
    peak_rss_mib: float = 0.0
    cpu_s: float = 0.0
    target_tokens: int = 0
    ragged_batches: int = 0
    engine_json: dict = None

    @property
    def timed_s(self):
        """The time tokens/s is computed from: translate_s when the engine reported it, else wall time."""
        return self.translate_s if self.translate_s is not None else self.wall_s

    @property
    def cpu_share(self):
        """CPU time / (wall time x threads) in percent. Well below 100 (at 1 thread): the engine was
        descheduled, the machine was busy, its figures are low. Spinning idle threads count as busy."""
        return 100.0 * self.cpu_s / (self.wall_s * self.threads) if self.wall_s > 0 else 0.0

    @property
    def tokens_per_s(self):
        return self.target_tokens / self.timed_s if self.ok and self.timed_s > 0 else 0.0

    @property
    def sentences_per_s(self):
        return self.lines / self.timed_s if self.ok and self.timed_s > 0 else 0.0


# ------------------------------------------------------------------------------------------- templates


def parse_engine_spec(spec):
    """'NAME=COMMAND TEMPLATE' -> Engine. Raises UsageError naming what is wrong."""
    name, sep, command = spec.partition("=")
    name = name.strip()
    if not sep or not name or not command.strip():
        raise UsageError(f"--engine wants NAME=COMMAND, got {spec!r}")
    if any(c.isspace() for c in name):
        raise UsageError(f"engine name {name!r} must not contain spaces")
    try:
        template = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"engine {name}: cannot split the command ({e}): {command!r}") from None
    fields = set()
    for token in template:
        try:
            parsed = list(string.Formatter().parse(token))
        except ValueError as e:
            raise UsageError(f"engine {name}: bad placeholder in {token!r} ({e}); "
                             "write {{ for a literal {") from None
        for _, field, _, _ in parsed:
            if field is None:
                continue
            if field not in PLACEHOLDERS:
                raise UsageError(f"engine {name}: unknown placeholder {{{field}}} in {token!r}; "
                                 f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
            fields.add(field)
    for needed in ("input", "output"):
        if needed not in fields:
            raise UsageError(f"engine {name}: the command has no {{{needed}}}; under the convention "
                             "the engine reads {input} and writes {output}")
    return Engine(name, template)


def render_command(engine, values):
    """Fills the placeholders of every argv token (a path with spaces stays one argument)."""
    return [token.format(**values) for token in engine.template]


# ------------------------------------------------------------------------------------------- files


def read_first_lines(path, count):
    """The first `count` non-empty lines of a text file (a line of only spaces and tabs is empty, as in
    `dolmetsch bench`), without line ends. count <= 0: all."""
    lines = []
    with open(path, encoding="utf-8", newline="") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip("\r")
            if line.strip(" \t") == "":
                continue
            lines.append(line)
            if 0 < count <= len(lines):
                break
    return lines


def count_output(path, batch):
    """Counts lines and whitespace-separated tokens of an engine's output file, and the batches (consecutive
    groups of `batch` lines) whose lines differ in token count: under the convention every sentence of a
    batch decodes the same N tokens, so a ragged batch means the engine stopped early (e.g. at EOS)."""
    stats = OutputStats()
    batch_counts = []
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for raw in f.read().split("\n"):
            batch_counts.append(len(raw.split()))
    if batch_counts and batch_counts[-1] == 0:
        batch_counts.pop()  # the final newline ends the last line; it does not start another
    stats.lines = len(batch_counts)
    stats.tokens = sum(batch_counts)
    for start in range(0, len(batch_counts), max(1, batch)):
        group = batch_counts[start:start + batch]
        if len(set(group)) > 1:
            stats.ragged_batches += 1
    return stats


def parse_json_line(stdout):
    """The last stdout line that is a JSON object with load_s or translate_s, or None. Other output (logs,
    progress) is ignored."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and ("load_s" in obj or "translate_s" in obj):
            return obj
    return None


def _seconds(obj, key):
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return float(value)


def stderr_tail(text, lines=STDERR_TAIL_LINES):
    tail = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join("    | " + line for line in tail) if tail else "    | (no stderr)"


# ------------------------------------------------------------------------------------------- running


def run_child(argv, timeout_s, env=None):
    """Runs argv (stdin /dev/null, stdout/stderr to temporary files, own process group); returns its exit
    status, wall time and peak RSS.

    The child is reaped with os.wait4, whose ru_maxrss (KiB on Linux) is the peak RSS of the child and of
    the children it waited for. Linux carries the spawning process's peak RSS across fork+exec into that
    figure, so it is max(engine's peak, this runner's RSS at spawn): a floor of ~16 MiB (`floor_rss_mib`),
    not an offset added to every engine."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            pid = os.posix_spawnp(argv[0], argv, os.environ if env is None else env,
                                  file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                                                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                                (os.POSIX_SPAWN_DUP2, err.fileno(), 2)],
                                  setpgroup=0)
        except OSError as e:
            return ChildResult(returncode=127, wall_s=0.0, maxrss_kib=0, stdout="",
                               stderr=f"cannot start {argv[0]!r}: {e.strerror}")
        timed_out = threading.Event()

        def kill_group():
            try:
                os.killpg(pid, signal.SIGKILL)  # the engine and anything it started
            except (ProcessLookupError, PermissionError):
                pass

        def kill_on_timeout():
            timed_out.set()
            kill_group()

        timer = threading.Timer(timeout_s, kill_on_timeout) if timeout_s and timeout_s > 0 else None
        if timer:
            timer.daemon = True
            timer.start()
        try:
            _, status, usage = os.wait4(pid, 0)  # retried by Python on EINTR (PEP 475)
        except BaseException:  # Ctrl-C: do not leave the engine running in its own process group
            kill_group()
            os.wait4(pid, 0)
            raise
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return ChildResult(returncode=os.waitstatus_to_exitcode(status), wall_s=wall,
                           maxrss_kib=usage.ru_maxrss, stdout=out.read().decode("utf-8", "replace"),
                           stderr=err.read().decode("utf-8", "replace"), timed_out=timed_out.is_set(),
                           cpu_s=usage.ru_utime + usage.ru_stime)


def floor_rss_mib():
    """Peak RSS reported for a trivial program started the same way: the part of every RSS figure that
    is the runner's, not the engine's."""
    trivial = shutil.which("true") or sys.executable
    argv = [trivial] if trivial != sys.executable else [trivial, "-S", "-c", "pass"]
    return run_child(argv, timeout_s=30).maxrss_kib / 1024.0


def run_one(engine, values, batch, threads, lines, timeout_s, log):
    command = render_command(engine, values)
    record = RunRecord(engine=engine.name, batch=batch, threads=threads, lines=lines, command=command)
    env = dict(os.environ)
    # Libraries that size their own pools from these (OpenMP, OpenBLAS, MKL) get the configured count too.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    try:
        os.unlink(values["output"])
    except FileNotFoundError:
        pass
    log(f"[{engine.name} batch={batch} threads={threads} lines={lines}] {shlex.join(command)}")
    child = run_child(command, timeout_s, env=env)
    record.wall_s = child.wall_s
    record.cpu_s = child.cpu_s
    record.peak_rss_mib = child.maxrss_kib / 1024.0
    if child.timed_out:
        record.error = f"timed out after {timeout_s:g} s (killed)"
    elif child.returncode != 0:
        if child.returncode < 0:
            record.error = f"killed by signal {-child.returncode}"
        else:
            record.error = f"exit status {child.returncode}"
    else:
        parsed = parse_json_line(child.stdout)
        if parsed is not None:
            record.engine_json = parsed
            record.load_s = _seconds(parsed, "load_s")
            record.translate_s = _seconds(parsed, "translate_s")
        if not os.path.exists(values["output"]):
            record.error = f"wrote no output file {values['output']}"
        else:
            stats = count_output(values["output"], batch)
            record.target_tokens = stats.tokens
            record.ragged_batches = stats.ragged_batches
            if stats.lines != lines:
                record.error = f"output has {stats.lines} lines for {lines} input lines"
            else:
                record.ok = True
    if not record.ok:
        log(f"  FAILED: {engine.name} batch={batch} threads={threads}: {record.error}\n"
            f"{stderr_tail(child.stderr)}")
    elif record.ragged_batches:
        log(f"  warning: {engine.name}: {record.ragged_batches} batch(es) with unequal token counts per line "
            "(does it ban EOS and force N tokens?)")
    return record


def run_matrix(engines, model, text_lines, batches, threads_list, beam, lines_batch1, workdir, timeout_s,
               repeat=1, log=None):
    """Runs every engine at every (batch, threads). Returns one RunRecord per (engine, batch, threads): the
    fastest of `repeat` successful runs (its RSS replaced by the largest seen), or the failure."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    inputs = {}
    records = []
    for batch in batches:
        lines = len(text_lines) if batch != 1 or lines_batch1 <= 0 else min(lines_batch1, len(text_lines))
        if lines not in inputs:
            path = os.path.join(workdir, f"input-{lines}.txt")
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(line + "\n" for line in text_lines[:lines])
            inputs[lines] = path
        for threads in threads_list:
            for engine in engines:
                best = None
                peak_rss = 0.0
                for attempt in range(max(1, repeat)):
                    values = {"model": model, "input": inputs[lines], "batch": batch, "beam": beam,
                              "threads": threads, "lines": lines,
                              "output": os.path.join(workdir, f"{engine.name}-b{batch}-t{threads}.txt")}
                    record = run_one(engine, values, batch, threads, lines, timeout_s, log)
                    peak_rss = max(peak_rss, record.peak_rss_mib)
                    if not record.ok:
                        best = record
                        break
                    if best is None or record.tokens_per_s > best.tokens_per_s:
                        best = record
                best.peak_rss_mib = peak_rss
                records.append(best)
    return records


# ------------------------------------------------------------------------------------------- tables


def _fmt(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(records, floor_mib=None):
    """One row per run, grouped by (batch, threads) so competing engines stand next to each other."""
    header = ["engine", "batch", "threads", "lines", "tok/s", "sent/s", "RSS MiB", "load s", "transl. s",
              "wall s", "cpu%", "tokens", "note"]
    rows = []
    ordered = sorted(records, key=lambda r: (r.batch, r.threads))  # stable: engine order kept
    for r in ordered:
        if r.ok:
            notes = []
            if r.translate_s is None:
                notes.append("no JSON: wall time")
            if r.ragged_batches:
                notes.append(f"{r.ragged_batches} ragged batches")
            rows.append([r.engine, str(r.batch), str(r.threads), str(r.lines), _fmt(r.tokens_per_s, 1),
                         _fmt(r.sentences_per_s, 2), _fmt(r.peak_rss_mib, 1), _fmt(r.load_s, 3),
                         _fmt(r.timed_s, 2), _fmt(r.wall_s, 2), _fmt(r.cpu_share, 0), str(r.target_tokens),
                         "; ".join(notes)])
        else:
            rows.append([r.engine, str(r.batch), str(r.threads), str(r.lines), "-", "-",
                         _fmt(r.peak_rss_mib, 1) if r.peak_rss_mib else "-", "-", "-", _fmt(r.wall_s, 2), "-",
                         "-", "FAILED: " + r.error])
    # Engines that disagree on the number of target tokens for the same input decoded different N.
    by_config = {}
    for r in ordered:
        if r.ok:
            by_config.setdefault((r.batch, r.lines), set()).add(r.target_tokens)
    mismatched = [cfg for cfg, counts in by_config.items() if len(counts) > 1]

    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]
    numeric = set(range(1, len(header) - 1))

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    text = [line(header), line(["-" * w for w in widths])]
    previous = None
    for r, row in zip(ordered, rows):
        if previous is not None and (r.batch, r.threads) != previous:
            text.append("")
        previous = (r.batch, r.threads)
        text.append(line(row))
    notes = ["cpu% = CPU time / (wall x threads): well below 100 at 1 thread means a busy machine, "
             "figures low."]
    if floor_mib is not None:
        notes.append(f"RSS is the larger of the engine's peak and the runner's {floor_mib:.1f} MiB (what "
                     "`true` started the same way shows): near that floor it says only 'no more than this'.")
    for batch, lines in mismatched:
        notes.append(f"warning: at batch {batch} ({lines} lines) engines produced different token counts: "
                     "they did not decode the same N (tokenizer or forcing differs), tok/s is not "
                     "comparable.")
    return "\n".join(text + ([""] + notes if notes else []))


def format_summary(records, batches, threads_list):
    """Issue-style pivot: one row per engine, tok/s per (batch, threads), the largest RSS, the load time."""
    engines = list(dict.fromkeys(r.engine for r in records))
    configs = [(b, t) for b in batches for t in threads_list]
    header = ["engine"] + [f"b{b} t{t}" for b, t in configs] + ["max RSS MiB", "load s"]
    rows = []
    for name in engines:
        mine = {(r.batch, r.threads): r for r in records if r.engine == name}
        cells = [name]
        for cfg in configs:
            r = mine.get(cfg)
            cells.append("-" if r is None else (_fmt(r.tokens_per_s, 1) if r.ok else "FAILED"))
        rss = [r.peak_rss_mib for r in mine.values() if r.ok]
        loads = [r.load_s for r in mine.values() if r.ok and r.load_s is not None]
        cells.append(_fmt(max(rss), 1) if rss else "-")
        cells.append(_fmt(min(loads), 3) if loads else "-")
        rows.append(cells)
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]
    fmt = lambda cells: "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                  for i, c in enumerate(cells)).rstrip()
    return "\n".join(["tok/s (target tokens per second of translate time)", fmt(header),
                      fmt(["-" * w for w in widths])] + [fmt(row) for row in rows])


def records_to_json(records):
    out = []
    for r in records:
        d = dataclasses.asdict(r)
        d.update(tokens_per_s=r.tokens_per_s, sentences_per_s=r.sentences_per_s, cpu_share=r.cpu_share)
        out.append(d)
    return out


# ------------------------------------------------------------------------------------------- main


def _int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"want comma-separated positive integers, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"want comma-separated positive integers, got {text!r}")
    return values


def build_parser():
    p = argparse.ArgumentParser(
        prog="bench-compare",
        description="Compare translation engines under the engine-comparison convention "
                    "(docs/benchmarks.md).",
        epilog="placeholders in engine commands: " + " ".join("{" + x + "}" for x in PLACEHOLDERS))
    p.add_argument("--engine", action="append", default=[], metavar="NAME=COMMAND",
                   help="an engine: its name and command template (repeat for each engine)")
    p.add_argument("--model", default="", help="fills {model}")
    p.add_argument("--text", default=DEFAULT_TEXT, help=f"source text (default {DEFAULT_TEXT})")
    p.add_argument("--lines", type=int, default=500, help="first N non-empty lines (default 500; 0: all)")
    p.add_argument("--lines-batch1", type=int, default=0,
                   help="fewer lines for batch 1 runs (default: same as --lines)")
    p.add_argument("--batches", type=_int_list, default=[1, 16], help="batch sizes (default 1,16)")
    p.add_argument("--threads", type=_int_list, default=[1, 2], help="thread counts (default 1,2)")
    p.add_argument("--beam", type=int, default=4, help="fills {beam} (default 4)")
    p.add_argument("--repeat", type=int, default=1, help="runs per configuration, the fastest is kept")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per run before it is killed")
    p.add_argument("--workdir", help="keep inputs and outputs here (default: a temporary folder, removed)")
    p.add_argument("--json", metavar="PATH", help="also write every run as JSON ('-': stdout)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if not args.engine:
            raise UsageError("give at least one --engine NAME=COMMAND")
        engines = [parse_engine_spec(spec) for spec in args.engine]
        names = [e.name for e in engines]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(f"engine names must be unique: {', '.join(duplicates)}")
        if args.beam <= 0 or args.repeat <= 0:
            raise UsageError("--beam and --repeat must be positive")
        try:
            text_lines = read_first_lines(args.text, args.lines)
        except OSError as e:
            raise UsageError(f"cannot read --text {args.text}: {e.strerror}") from None
        except UnicodeDecodeError as e:
            raise UsageError(f"--text {args.text} is not UTF-8 ({e.reason} at byte {e.start})") from None
        if not text_lines:
            raise UsageError(f"--text {args.text} has no non-empty lines")
    except UsageError as e:
        print(f"bench-compare: {e}", file=sys.stderr)
        return 2

    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-compare-")
    os.makedirs(workdir, exist_ok=True)
    try:
        if args.dry_run:
            for batch in args.batches:
                lines = len(text_lines) if batch != 1 or args.lines_batch1 <= 0 else min(args.lines_batch1,
                                                                                        len(text_lines))
                for threads in args.threads:
                    for e in engines:
                        values = {"model": args.model, "input": os.path.join(workdir, f"input-{lines}.txt"),
                                  "output": os.path.join(workdir, f"{e.name}-b{batch}-t{threads}.txt"),
                                  "batch": batch, "beam": args.beam, "threads": threads, "lines": lines}
                        print(shlex.join(render_command(e, values)))
            return 0
        floor = floor_rss_mib()
        load_before = os.getloadavg()[0]
        records = run_matrix(engines, args.model, text_lines, args.batches, args.threads, args.beam,
                             args.lines_batch1, workdir, args.timeout, repeat=args.repeat)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"beam {args.beam}; first non-empty lines of {args.text}; tok/s = target tokens / translate_s "
          "(engine's JSON line, else wall time)")
    print(f"load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} CPUs")
    print(format_table(records, floor_mib=floor))
    print()
    print(format_summary(records, args.batches, args.threads))
    if args.json:
        blob = json.dumps({"beam": args.beam, "text": args.text, "runner_rss_floor_mib": floor,
                           "load_average_before": load_before,
                           "runs": records_to_json(records)}, indent=2)
        if args.json == "-":
            print(blob)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(blob + "\n")
    return 0 if all(r.ok for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
