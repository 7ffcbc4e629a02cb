#!/usr/bin/env python3
"""Tests of bench/compare_engines.py: template parsing, output/JSON parsing, token counting, the table,
and whole runs against a fake engine (a small Python program written to a temporary folder) that follows
the convention or breaks it in chosen ways.

Run: python3 bench/compare_engines_test.py  (from anywhere; standard library only)
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_engines as ce  # noqa: E402

# The fake engine: whitespace-separated words stand in for source tokens, so the test can compute N per
# batch itself. Modes: ok, nojson, noise (logs around the JSON line), fail (stderr + exit 3), short (drops
# the last output line), ragged (stops one token early on odd lines), sleep (hangs), idle (sleeps 0.4 s),
# burn (uses 0.4 s of CPU).
FAKE_ENGINE = textwrap.dedent("""\
    import argparse, json, sys, time
    p = argparse.ArgumentParser()
    p.add_argument("--input"); p.add_argument("--output"); p.add_argument("--batch", type=int)
    p.add_argument("--threads", type=int, default=1); p.add_argument("--mode", default="ok")
    p.add_argument("--alloc-mib", type=int, default=0)
    a = p.parse_args()
    if a.mode == "fail":
        print("loading model...", file=sys.stderr)
        print("error: weights file is truncated", file=sys.stderr)
        sys.exit(3)
    if a.mode == "sleep":
        time.sleep(60)
    if a.mode == "idle":
        time.sleep(0.4)
    if a.mode == "burn":
        start = time.process_time()
        while time.process_time() - start < 0.4:
            pass
    ballast = bytearray(a.alloc_mib << 20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    lines = open(a.input, encoding="utf-8").read().split("\\n")[:-1]
    out = []
    for start in range(0, len(lines), a.batch):
        batch = lines[start:start + a.batch]
        n = min(64, max(len(l.split()) for l in batch))
        for i, _ in enumerate(batch):
            k = n - 1 if a.mode == "ragged" and i % 2 == 1 else n
            out.append(" ".join(["17"] * k))
    if a.mode == "short":
        out.pop()
    open(a.output, "w").write("".join(l + "\\n" for l in out))
    if a.mode == "noise":
        print("progress: 100%")
        print(json.dumps({"load_s": 9.0}))  # an earlier JSON line: the last one counts
    if a.mode != "nojson":
        print(json.dumps({"load_s": 0.25, "translate_s": 0.5, "threads": a.threads}))
    if a.mode == "noise":
        print("{not json}")
""")

TEXT = "\n".join([
    "Habe nun, ach! Philosophie,",
    "",
    "   ",
    "Juristerei und Medizin,",
    "Und leider auch Theologie",
    "Durchaus studiert, mit heißem Bemühn.",
    "Da steh ich nun, ich armer Tor!",
    "Und bin so klug als wie zuvor;",
    "Heiße Magister, heiße Doktor gar",
]) + "\n"


def expected_tokens(lines, batch):
    """What the convention says an engine must produce for whitespace tokens: N per line of each batch."""
    total = 0
    for start in range(0, len(lines), batch):
        group = lines[start:start + batch]
        total += min(64, max(len(l.split()) for l in group)) * len(group)
    return total


class FakeEngineCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.engine_path = os.path.join(self.dir, "fake_engine.py")
        with open(self.engine_path, "w", encoding="utf-8") as f:
            f.write(FAKE_ENGINE)
        self.text_path = os.path.join(self.dir, "text.txt")
        with open(self.text_path, "w", encoding="utf-8") as f:
            f.write(TEXT)
        self.lines = ce.read_first_lines(self.text_path, 0)

    def tearDown(self):
        self.tmp.cleanup()

    def engine(self, name, mode="ok", extra=""):
        return ce.parse_engine_spec(f"{name}={sys.executable} {self.engine_path} --input {{input}} "
                                    f"--output {{output}} --batch {{batch}} --threads {{threads}} "
                                    f"--mode {mode} {extra}")

    def run_matrix(self, engines, batches=(1, 4), threads=(1, 2), lines_batch1=0, timeout=60, repeat=1):
        log = []
        records = ce.run_matrix(engines, "unused-model", self.lines, list(batches), list(threads), 4,
                                lines_batch1, self.dir, timeout, repeat=repeat, log=log.append)
        return records, "\n".join(log)


class TemplateTest(unittest.TestCase):
    def test_parses_name_and_fills_every_placeholder(self):
        e = ce.parse_engine_spec("a-b=prog --m {model} --i {input} --o {output} -b{batch} --beam={beam} "
                                 "-t {threads} -n {lines}")
        self.assertEqual(e.name, "a-b")
        argv = ce.render_command(e, {"model": "M", "input": "I", "output": "O", "batch": 16, "beam": 4,
                                     "threads": 2, "lines": 500})
        self.assertEqual(argv, ["prog", "--m", "M", "--i", "I", "--o", "O", "-b16", "--beam=4", "-t", "2",
                                "-n", "500"])

    def test_quoted_argument_with_spaces_stays_one_argument(self):
        e = ce.parse_engine_spec("x=prog '--in={input}' --out {output} 'a b'")
        argv = ce.render_command(e, {"input": "/p q/in", "output": "o", "model": "", "batch": 1, "beam": 4,
                                     "threads": 1, "lines": 1})
        self.assertEqual(argv, ["prog", "--in=/p q/in", "--out", "o", "a b"])

    def test_literal_braces_are_escaped_by_doubling(self):
        e = ce.parse_engine_spec("x=prog {input} {output} '{{\"k\": 1}}'")
        self.assertEqual(ce.render_command(e, dict.fromkeys(ce.PLACEHOLDERS, "v"))[-1], '{"k": 1}')

    def test_malformed_specs_are_usage_errors_that_say_what_is_wrong(self):
        cases = {
            "no-equals-sign {input} {output}": "NAME=COMMAND",
            "=prog {input} {output}": "NAME=COMMAND",
            "x=   ": "NAME=COMMAND",
            "x y=prog {input} {output}": "spaces",
            "x=prog {input} {output} {modell}": "unknown placeholder {modell}",
            "x=prog {input} {output} {": "bad placeholder",
            "x=prog {input}": "no {output}",
            "x=prog --out {output}": "no {input}",
            "x=prog 'unclosed {input} {output}": "cannot split",
        }
        for spec, message in cases.items():
            with self.subTest(spec=spec):
                with self.assertRaises(ce.UsageError) as cm:
                    ce.parse_engine_spec(spec)
                self.assertIn(message, str(cm.exception))


class ParsingTest(unittest.TestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp()
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def test_read_first_lines_skips_blank_lines_and_strips_line_ends(self):
        path = self.write("eins\r\n\n \t \nzwei drei\nvier\n")
        self.assertEqual(ce.read_first_lines(path, 0), ["eins", "zwei drei", "vier"])
        self.assertEqual(ce.read_first_lines(path, 2), ["eins", "zwei drei"])

    def test_count_output_counts_tokens_lines_and_ragged_batches(self):
        path = self.write("1 2 3\n4 5 6\n7 8\n9 10 11\n12\n")
        stats = ce.count_output(path, batch=2)
        self.assertEqual((stats.lines, stats.tokens), (5, 12))
        self.assertEqual(stats.ragged_batches, 1)  # [7 8 | 9 10 11]; [12] alone is not ragged
        self.assertEqual(ce.count_output(path, batch=1).ragged_batches, 0)

    def test_count_output_keeps_empty_lines_and_a_missing_final_newline(self):
        path = self.write("a b\n\nc")
        stats = ce.count_output(path, batch=1)
        self.assertEqual((stats.lines, stats.tokens), (3, 3))
        self.assertEqual(ce.count_output(self.write(""), batch=1).lines, 0)

    def test_count_output_tolerates_multiple_spaces_and_tabs(self):
        stats = ce.count_output(self.write("  a \t b  \n"), batch=1)
        self.assertEqual((stats.lines, stats.tokens), (1, 2))

    def test_json_line_is_the_last_object_with_timing_keys(self):
        stdout = 'log\n{"load_s": 1}\n{"translate_s": 2.5, "load_s": 0.5}\n{"other": 1}\n[1]\n{broken\ndone\n'
        self.assertEqual(ce.parse_json_line(stdout), {"translate_s": 2.5, "load_s": 0.5})
        self.assertIsNone(ce.parse_json_line("no json here\n{\"x\": 1}\n"))
        self.assertIsNone(ce.parse_json_line(""))

    def test_non_numeric_or_negative_times_are_ignored(self):
        self.assertIsNone(ce._seconds({"load_s": "fast"}, "load_s"))
        self.assertIsNone(ce._seconds({"load_s": -1}, "load_s"))
        self.assertIsNone(ce._seconds({"load_s": True}, "load_s"))
        self.assertEqual(ce._seconds({"load_s": 2}, "load_s"), 2.0)


class RunTest(FakeEngineCase):
    def test_counts_tokens_and_uses_the_engines_own_translate_time(self):
        records, _ = self.run_matrix([self.engine("fake")])
        self.assertEqual([(r.batch, r.threads) for r in records], [(1, 1), (1, 2), (4, 1), (4, 2)])
        for r in records:
            with self.subTest(batch=r.batch, threads=r.threads):
                self.assertTrue(r.ok, r.error)
                self.assertEqual(r.lines, 7)
                self.assertEqual(r.target_tokens, expected_tokens(self.lines, r.batch))
                self.assertEqual((r.load_s, r.translate_s), (0.25, 0.5))
                self.assertAlmostEqual(r.tokens_per_s, r.target_tokens / 0.5)
                self.assertAlmostEqual(r.sentences_per_s, 7 / 0.5)
                self.assertEqual(r.engine_json["threads"], r.threads)  # {threads} reached the engine
                self.assertEqual(r.ragged_batches, 0)
        # Batching changes N: the batch-4 total exceeds the batch-1 total on this text.
        self.assertGreater(records[2].target_tokens, records[0].target_tokens)

    def test_without_json_the_wall_time_counts_and_noise_is_ignored(self):
        records, _ = self.run_matrix([self.engine("quiet", "nojson"), self.engine("chatty", "noise")],
                                     batches=[2], threads=[1])
        quiet, chatty = records
        self.assertTrue(quiet.ok and chatty.ok)
        self.assertIsNone(quiet.translate_s)
        self.assertGreater(quiet.wall_s, 0)
        self.assertAlmostEqual(quiet.tokens_per_s, quiet.target_tokens / quiet.wall_s)
        self.assertEqual((chatty.load_s, chatty.translate_s), (0.25, 0.5))

    def test_a_failing_engine_is_reported_with_its_stderr_and_the_others_still_run(self):
        records, log = self.run_matrix([self.engine("bad", "fail"), self.engine("good")], batches=[1],
                                       threads=[1, 2])
        self.assertEqual([(r.engine, r.ok) for r in records],
                         [("bad", False), ("good", True), ("bad", False), ("good", True)])
        self.assertEqual(records[0].error, "exit status 3")
        self.assertIn("error: weights file is truncated", log)
        self.assertIn("FAILED: bad batch=1 threads=1", log)

    def test_wrong_line_count_missing_program_and_timeout_are_failures(self):
        missing = ce.parse_engine_spec("missing=/nonexistent/engine {input} {output}")
        records, log = self.run_matrix([self.engine("short", "short"), missing, self.engine("slow", "sleep")],
                                       batches=[1], threads=[1], timeout=1)
        short, absent, slow = records
        self.assertEqual(short.error, "output has 6 lines for 7 input lines")
        self.assertFalse(absent.ok)
        self.assertIn("cannot start '/nonexistent/engine'", log)
        self.assertIn("timed out after 1 s", slow.error)
        self.assertLess(slow.wall_s, 30)

    def test_ragged_batches_are_detected(self):
        records, log = self.run_matrix([self.engine("eos", "ragged")], batches=[4], threads=[1])
        self.assertTrue(records[0].ok)
        self.assertEqual(records[0].ragged_batches, 2)  # 7 lines in batches of 4: both have an odd line
        self.assertIn("unequal token counts", log)

    def test_peak_rss_is_the_childs(self):
        floor = ce.floor_rss_mib()
        records, _ = self.run_matrix([self.engine("big", extra="--alloc-mib 96")], batches=[1], threads=[1])
        self.assertTrue(records[0].ok)
        self.assertGreaterEqual(records[0].peak_rss_mib, 96)
        self.assertLess(records[0].peak_rss_mib, 96 + floor + 64)  # a maximum with the floor, not a sum
        self.assertLess(floor, 96)

    def test_cpu_time_of_the_child_is_measured(self):
        records, _ = self.run_matrix([self.engine("idle", "idle"), self.engine("burn", "burn")], batches=[1],
                                     threads=[1])
        idle, burn = records
        self.assertGreaterEqual(idle.wall_s, 0.4)
        self.assertLess(idle.cpu_s, 0.3)
        self.assertGreaterEqual(burn.cpu_s, 0.4)
        self.assertAlmostEqual(burn.cpu_share, 100 * burn.cpu_s / burn.wall_s)
        self.assertLess(idle.cpu_share, burn.cpu_share)

    def test_fewer_lines_at_batch_1(self):
        records, _ = self.run_matrix([self.engine("fake")], batches=[1, 4], threads=[1], lines_batch1=3)
        self.assertEqual([r.lines for r in records], [3, 7])
        self.assertEqual(records[0].target_tokens, expected_tokens(self.lines[:3], 1))

    def test_repeat_keeps_the_fastest_run(self):
        records, log = self.run_matrix([self.engine("fake", "nojson")], batches=[1], threads=[1], repeat=3)
        self.assertEqual(len(records), 1)
        self.assertEqual(log.count("[fake batch=1 threads=1"), 3)


class TableTest(unittest.TestCase):
    def record(self, engine, batch, threads, tokens=1000, translate_s=2.0, ok=True, **kw):
        r = ce.RunRecord(engine=engine, batch=batch, threads=threads, lines=100, command=[], ok=ok,
                         target_tokens=tokens if ok else 0, translate_s=translate_s if ok else None,
                         load_s=0.5 if ok else None, wall_s=3.0, cpu_s=1.5, peak_rss_mib=123.4, **kw)
        return r

    def test_rows_are_grouped_by_configuration_with_figures(self):
        records = [self.record("f32", 1, 1), self.record("f32", 16, 1, tokens=4000),
                   self.record("i8", 1, 1, translate_s=1.0),
                   self.record("i8", 16, 1, ok=False, error="exit status 1")]
        table = ce.format_table(records, floor_mib=15.2).splitlines()
        self.assertTrue(table[0].startswith("engine"))
        body = [l for l in table[2:] if l.strip()]
        self.assertTrue(body[0].startswith("f32") and body[1].startswith("i8"))  # batch 1 together
        self.assertIn("500.0", body[0])  # 1000 tokens / 2 s
        self.assertIn("1000.0", body[1])  # 1000 tokens / 1 s
        self.assertIn("50.00", body[0])  # 100 sentences / 2 s
        self.assertIn("123.4", body[0])
        self.assertIn(" 50 ", body[0])  # cpu%: 1.5 s CPU / 3 s wall / 1 thread
        self.assertIn("2000.0", body[2])  # f32 batch 16: 4000 / 2
        self.assertIn("FAILED: exit status 1", body[3])
        self.assertIn("15.2 MiB", "\n".join(table))
        self.assertEqual(table.count(""), 2)  # a blank line between the configurations, one before notes

    def test_different_token_counts_across_engines_are_flagged(self):
        records = [self.record("a", 1, 1, tokens=1000), self.record("b", 1, 1, tokens=999)]
        self.assertIn("different token counts", ce.format_table(records))
        same = [self.record("a", 1, 1), self.record("b", 1, 1)]
        self.assertNotIn("different token counts", ce.format_table(same))

    def test_summary_pivots_engines_against_configurations(self):
        records = [self.record("f32", 1, 1), self.record("f32", 1, 2, translate_s=4.0),
                   self.record("i8", 1, 1, ok=False, error="x")]
        lines = ce.format_summary(records, [1], [1, 2]).splitlines()
        self.assertIn("b1 t1", lines[1])
        self.assertIn("b1 t2", lines[1])
        f32 = next(l for l in lines if l.startswith("f32")).split()
        self.assertEqual(f32[1:], ["500.0", "250.0", "123.4", "0.500"])
        i8 = next(l for l in lines if l.startswith("i8")).split()
        self.assertEqual(i8[1:], ["FAILED", "-", "-", "-"])


class MainTest(FakeEngineCase):
    def call_main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = ce.main(list(args))
        return code, out.getvalue(), err.getvalue()

    def engine_arg(self, name, mode="ok"):
        return (f"--engine={name}={sys.executable} {self.engine_path} --input {{input}} --output {{output}} "
                f"--batch {{batch}} --mode {mode}")

    def test_prints_one_table_and_writes_json(self):
        json_path = os.path.join(self.dir, "runs.json")
        code, out, _ = self.call_main(self.engine_arg("one"), self.engine_arg("two", "nojson"), "--text",
                                      self.text_path, "--lines", "5", "--batches", "1,2", "--threads", "1",
                                      "--json", json_path)
        self.assertEqual(code, 0, out)
        self.assertEqual(sum(l.startswith("one ") for l in out.splitlines()), 3)  # 2 table rows + summary
        with open(json_path, encoding="utf-8") as f:
            data = json.load(f)
        self.assertEqual(len(data["runs"]), 4)
        self.assertEqual({r["lines"] for r in data["runs"]}, {5})
        self.assertTrue(all(r["ok"] for r in data["runs"]))
        self.assertEqual(data["runs"][0]["tokens_per_s"], data["runs"][0]["target_tokens"] / 0.5)

    def test_exit_status_1_when_a_run_fails(self):
        code, out, err = self.call_main(self.engine_arg("bad", "fail"), "--text", self.text_path,
                                        "--batches", "1", "--threads", "1")
        self.assertEqual(code, 1)
        self.assertIn("FAILED", out)
        self.assertIn("weights file is truncated", err)

    def test_usage_errors_exit_2_with_a_message(self):
        for args, message in [
            ((), "at least one --engine"),
            ((self.engine_arg("a"), self.engine_arg("a")), "unique: a"),
            ((self.engine_arg("a"), "--text", os.path.join(self.dir, "missing.txt")), "cannot read --text"),
            (("--engine", "x=prog {input}"), "no {output}"),
        ]:
            with self.subTest(args=args):
                code, _, err = self.call_main(*args)
                self.assertEqual(code, 2)
                self.assertIn(message, err)
        empty = os.path.join(self.dir, "empty.txt")
        with open(empty, "w", encoding="utf-8") as f:
            f.write("\n \n")
        code, _, err = self.call_main(self.engine_arg("a"), "--text", empty)
        self.assertEqual((code, "no non-empty lines" in err), (2, True))

    def test_bad_number_lists_are_rejected_by_the_parser(self):
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            ce.main([self.engine_arg("a"), "--batches", "1,zero"])
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            ce.main([self.engine_arg("a"), "--threads", "0"])

    def test_dry_run_prints_commands_and_runs_nothing(self):
        code, out, _ = self.call_main(self.engine_arg("a", "fail"), "--text", self.text_path, "--dry-run")
        self.assertEqual(code, 0)
        commands = out.splitlines()
        self.assertEqual(len(commands), 4)
        self.assertIn("--batch 16", commands[2])


if __name__ == "__main__":
    unittest.main()
