#!/usr/bin/env python3
"""report.py on hand-made results: medians, each issue-2 check on both sides
of its threshold, extra JSON-lines tables, not-measured engines."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def row(depth, method, inflight, run, **metrics):
    base = {"ops_per_s": 1000, "p50_us": 100, "p99_us": 200, "cpu_us_per_op": 10,
            "reads_per_op": depth + 1, "peak_rss_mib": 5}
    base.update(metrics)
    return {"bench": "lib", "run": run,
            "config": {"depth": depth, "method": method, "inflight": inflight}, "metrics": base}


class ReportTest(unittest.TestCase):
    def build(self, rows, extra=None, errors=""):
        d = tempfile.mkdtemp()
        res = os.path.join(d, "results")
        os.makedirs(res)
        with open(os.path.join(res, "lib.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        for name, lines in (extra or {}).items():
            with open(os.path.join(res, name), "w") as f:
                f.write("\n".join(json.dumps(l) for l in lines) + "\n")
        with open(os.path.join(res, "lib.errors.log"), "w") as f:
            f.write(errors)
        subprocess.run([sys.executable, os.path.join(HERE, "report.py"), "--results", res,
                        "--out", d], check=True)
        with open(os.path.join(d, "REPORT.md")) as f:
            return f.read()

    def test_checks_on_both_sides(self):
        rows = []
        for run, noise in ((1, 1.0), (2, 1.0), (3, 50.0)):  # run 3 is an outlier
            # depth 2: every target met; depth 3: every target missed.
            rows += [row(2, "raw", 32, run, ops_per_s=30000 * noise),
                     row(2, "pread", 1, run, ops_per_s=1000, p50_us=100),
                     row(2, "syscall", 1, run, p50_us=109),
                     row(2, "syscall", 32, run, ops_per_s=8100, cpu_us_per_op=15),
                     row(2, "native", 32, run, cpu_us_per_op=10),
                     row(2, "syscall", 64, run, peak_rss_mib=63.9),
                     row(2, "native", 64, run, peak_rss_mib=10)]
            rows += [row(3, "raw", 32, run, ops_per_s=40000),
                     row(3, "pread", 1, run, ops_per_s=1000, p50_us=100),
                     row(3, "syscall", 1, run, p50_us=111 * noise),
                     row(3, "syscall", 32, run, ops_per_s=2990, cpu_us_per_op=15.1),
                     row(3, "native", 32, run, cpu_us_per_op=10),
                     row(3, "syscall", 64, run, peak_rss_mib=64),
                     row(3, "native", 64, run, peak_rss_mib=10)]
        md = self.build(rows)
        self.assertIn("| 2 | syscall p50 latency at 1 in flight within 10% of pread (ratio <= 1.10) | 1.09 | met |", md)
        self.assertIn("| 2 | syscall lookups/s at 32 in flight >= 3x pread | 8.10x | met |", md)
        # ceiling = 30000 (median; the 50x outlier is ignored) / 3 reads = 10000/s
        self.assertIn("(= 10,000/s) | 81% | met |", md)
        self.assertIn("| 2 | syscall CPU per lookup <= 1.5x native (32 in flight) | 1.50x | met |", md)
        self.assertIn("| 2 | peak RSS at 64 in flight < 64 MiB (max of syscall, native) | 63.9 MiB | met |", md)
        self.assertIn("| 3 | syscall p50 latency at 1 in flight within 10% of pread (ratio <= 1.10) | 1.11 | **not met** |", md)
        self.assertIn("| 3 | syscall lookups/s at 32 in flight >= 3x pread | 2.99x | **not met** |", md)
        self.assertIn("(= 10,000/s) | 30% | **not met** |", md)
        self.assertIn("| 3 | syscall CPU per lookup <= 1.5x native (32 in flight) | 1.51x | **not met** |", md)
        self.assertIn("| 3 | peak RSS at 64 in flight < 64 MiB (max of syscall, native) | 64.0 MiB | **not met** |", md)
        self.assertIn("5 of 10 checks met.", md)

    def test_missing_engine_is_not_met_and_listed(self):
        rows = [row(1, "pread", 1, 1), row(1, "raw", 32, 1), row(1, "native", 32, 1),
                row(1, "native", 64, 1)]
        md = self.build(rows, errors="engine syscall is not available here: not measured\n")
        self.assertIn("| 1 | syscall p50 at 1 in flight within 10% of pread | not measured | **not met** (missing data) |", md)
        self.assertIn("## Not measured\n\n- engine syscall is not available here: not measured", md)
        self.assertNotIn("## Failed runs", md)

    def test_extra_tables_and_failures(self):
        extra = {"fs.jsonl": [
            {"bench": "fs", "run": 1, "config": {"path": "cat"}, "metrics": {"ops_per_s": 10}},
            {"bench": "fs", "run": 2, "config": {"path": "cat"}, "metrics": {"ops_per_s": 30}},
            {"bench": "fs", "run": 3, "config": {"path": "cat"}, "metrics": {"ops_per_s": 20}}]}
        md = self.build([row(1, "pread", 1, 1)], extra, errors="bench_lib: boom\n")
        self.assertIn("### fs.jsonl", md)
        self.assertIn("| path | ops_per_s | runs |", md)
        self.assertIn("| cat | 20.00 | 3 |", md)
        self.assertIn("## Failed runs and other messages\n\n```\nlib.errors.log: bench_lib: boom\n```", md)

    def test_formats_target_on_both_sides(self):
        def f(method, run, ops, cpu):
            return {"bench": "formats", "run": run,
                    "config": {"format": "lmdb", "method": method, "inflight": 32,
                               "cache": "limit10"},
                    "metrics": {"ops_per_s": ops, "cpu_us_per_op": cpu, "cache_hits_per_op": 0.06}}
        rows = []
        for run in (1, 2, 3):
            rows += [f("liblmdb", run, 10, 100), f("liblmdb-nordahead", run, 80000, 12),
                     f("native", run, 82000 + run, 5.5), f("syscall", run, 70000, 6)]
        md = self.build([row(1, "pread", 1, 1)], {"formats.jsonl": rows})
        self.assertIn("chasefs's best engine here: **native** (82,002 lookups/s", md)
        self.assertIn("| liblmdb | 10 | 100.00 | 8,200 | 0.06 | yes |", md)
        self.assertIn("| liblmdb-nordahead | 80,000 | 12.00 | 1.03 | 0.46 | yes |", md)
        rows = [f("liblmdb-nordahead", 1, 80000, 12), f("native", 1, 78000, 5.5)]
        md = self.build([row(1, "pread", 1, 1)], {"formats.jsonl": rows})
        self.assertIn("| liblmdb-nordahead | 80,000 | 12.00 | 0.97 | 0.46 | no |", md)


    def test_sst_targets_and_the_leveldb_row(self):
        def f(fmt, method, ops, cpu, reads):
            return {"bench": "formats", "run": 1,
                    "config": {"format": fmt, "method": method, "inflight": 32,
                               "cache": "limit10"},
                    "metrics": {"ops_per_s": ops, "cpu_us_per_op": cpu,
                                "device_reads_per_op": reads}}
        rows = [f("sst", "rocksdb-get", 40000, 30, 0.8), f("sst", "rocksdb-multiget", 9000, 60, 0.9),
                f("sst", "native", 41000, 14, 1.0), f("sst-tikv", "rocksdb-get", 30000, 50, 0.8),
                f("sst-tikv", "native", 29000, 20, 1.0), f("ldb", "leveldb-get", 20000, 40, 0.9),
                f("ldb", "native", 38000, 15, 1.0), f("ldb", "syscall", 30000, 18, 1.0)]
        md = self.build([row(1, "pread", 1, 1)], {"formats.jsonl": rows})
        self.assertIn("| rocksdb-get | 40,000 | 30.00 | 0.80 | 1.02 | 0.47 | rate >= 1.0, CPU <= 0.5 | yes |", md)
        self.assertIn("| rocksdb-multiget | 9,000 | 60.00 | 0.90 | 4.56 | 0.23 | rate >= 0.8 | yes |", md)
        self.assertIn("| rocksdb-get | 30,000 | 50.00 | 0.80 | 0.97 | 0.40 | rate >= 1.0, CPU <= 0.5 | no |", md)
        self.assertIn("**LevelDB's defaults**: chasefs's best engine **native**, 38,000", md)
        self.assertIn("| leveldb-get | 20,000 | 40.00 | 0.90 | 1.90 | 0.38 | none set | – |", md)


if __name__ == "__main__":
    unittest.main()
