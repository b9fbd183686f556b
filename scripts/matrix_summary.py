#!/usr/bin/env python3
"""Summarise scripts/eval_matrix.sh output (CSV on stdin or a file) as Markdown tables.

One table per group of traces (the 40 windowed heads averaged over rows, gpl3_full head 1, gpl3_full
head 2): one row per rule x scheduler x tile order with kept fraction, planes per key, planes per
key at block granularity, attention-mass recall (mean and worst row), output error.
"""
import csv
import sys
from collections import defaultdict


def main():
    src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    rows = list(csv.DictReader(src))
    groups = defaultdict(lambda: defaultdict(list))
    for r in rows:
        name = r["input"]
        if name.startswith("all "):
            continue
        key = (r["rule"], r["scheduler"], r["tiles"])
        if name.startswith("gpl3_full/layer0/head1"):
            groups["gpl3_full layer 0 head 1 (8455 keys, sharp)"][key].append(r)
        elif name.startswith("gpl3_full/layer0/head2"):
            groups["gpl3_full layer 0 head 2 (8455 keys, broad)"][key].append(r)
        else:
            groups["40 windowed heads (128 and 1024 tokens), mean over rows"][key].append(r)
    for title, configs in groups.items():
        print(f"\n### {title}\n")
        print("| rule | scheduler | tiles | kept | planes/key | block planes/key | recall | min recall | output error |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (rule, sched, tiles), rs in configs.items():
            n = sum(int(r["queries"]) for r in rs)
            def mean(field):
                return sum(float(r[field]) * int(r["queries"]) for r in rs) / n
            worst = min(float(r["min_attention_mass_recall"]) for r in rs)
            print(f"| {rule} | {sched} | {tiles} | {100 * mean('kept_fraction'):.2f}% | {mean('mean_planes_per_key'):.2f} | "
                  f"{mean('block_planes_per_key'):.2f} | {mean('attention_mass_recall'):.4f} | {worst:.4f} | "
                  f"{100 * mean('output_rel_l2_error'):.2f}% |")


if __name__ == "__main__":
    main()
