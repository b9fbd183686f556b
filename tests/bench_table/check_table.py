#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/table.py on a hand-made result file whose ratios and floors are known:
usage: check_table.py TABLE_PY FIXTURE_JSON. Exits non-zero naming the first line it missed."""
import re
import subprocess
import sys

out = subprocess.run([sys.executable, sys.argv[1], sys.argv[2]], check=True, capture_output=True, text=True).stdout


def row(prefix):
    for line in out.splitlines():
        if line.startswith(prefix):
            return line.split()
    sys.exit(f"no line starting with {prefix!r} in:\n{out}")


def expect(prefix, *cells):
    got = row(prefix)
    for c in cells:
        if c not in got:
            sys.exit(f"line {prefix!r}: expected a cell {c!r}, got {got}")


# best of the two repetitions (20 ns, not 30.5): 30 / 20 = 1.5x, below the 3x goal
expect("decode llm_like 65536 cold T1: lats vs dense_int8", "1.5x", "MISSED")
# 100 bytes at 10 GB/s = 10 ns against 20 ns: 50% of stream
expect("bitsieve_lats llm_like 65536 cold: bytes read", "50%", "MISSED")
# wall clock on both sides: 20 / 10 = 2x
expect("lats llm_like 65536 cold: threads:2 vs threads:1", "2x", "MET")
expect("score dispatch d:128", "1", "MET")
# floors: needed 30 / 3 = 10 ns; memory 100 B / 10 GB/s = 10 ns; scorer 4 block planes x 1 ns = 4;
# sum 14; at the memory floor 30 / 10 = 3x
expect("llm_like 65536 cold: bitsieve_lats 3x dense_int8", "20.0", "10.0", "4", "14.0", "3x")
if not re.search(r"decode targets against the floors of this run", out):
    sys.exit("the floors table is missing")
print("bench/table.py: every expected cell found")
