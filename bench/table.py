#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summarise a bitsieve-bench JSON file (Google Benchmark --benchmark_out_format=json).

Prints: the machine context, stream/read, plane scoring, decode (ns per token, speedup over
each dense baseline, bytes per token, effective GB/s and its fraction of stream/read, kept
fraction, planes per key, recall), prefill, the issue-5 targets with MET/MISSED, and each decode
speed target against two floors of the same run: the memory floor (bytes read at stream/read)
and the scorer floor (block_planes_per_key x the score benchmark's ns per token-plane).
Ratios are always taken between benchmarks of the same JSON file (one run, side by side).
With --benchmark_repetitions=R each benchmark's fastest repetition is used (best of R).
Standard library only.

usage: table.py RESULT.json [--markdown] [--cpu]
  --cpu  one-thread benchmarks in CPU time of the benchmark thread instead of wall-clock time
         (for a run on a machine other jobs were using; threads:2 rows stay wall-clock)
"""
import json
import statistics
import sys

DENSE = ["dense_fp32_blas", "dense_fp16", "dense_int8"]
# bitsieve impls with float32 values, then the same kernels on float16 (_v16) and int8 (_v8) values
IMPL_ORDER = DENSE + ["bitsieve_dense", "bitsieve_lats", "bitsieve_mass", "bitsieve_lats_v16", "bitsieve_mass_v16",
                      "bitsieve_lats_v8", "bitsieve_mass_v8"]
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def to_cpu_time(runs):
    """--cpu: rescale the wall-clock counters of every one-thread benchmark by its cpu/real time
    ratio (Google Benchmark's CPU time of the benchmark thread). On a machine whose cores other
    jobs share, this removes the time the thread spent waiting for a core. Two-thread benchmarks
    keep wall-clock time (the main thread's CPU time does not measure them)."""
    for name, r in runs.items():
        r["wall_ns_per_token"] = r.get("ns_per_token")
        if "threads:2" in name or not r.get("real_time"):
            continue
        f = r["cpu_time"] / r["real_time"]
        for k in ("ns_per_token", "ns_per_pair", "ns_per_token_plane"):
            if k in r:
                r[k] *= f
        if "GBps" in r:
            r["GBps"] /= f


def load(path):
    with open(path) as f:
        doc = json.load(f)
    runs = {}
    errors = []
    for b in doc.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        if b.get("error_occurred"):
            errors.append((b["name"], b.get("error_message", "")))
            continue
        # With --benchmark_repetitions a name repeats: keep the fastest repetition (best of R,
        # the least disturbed by other work on the machine).
        if b["name"] not in runs or b["real_time"] < runs[b["name"]]["real_time"]:
            runs[b["name"]] = b
    return doc.get("context", {}), runs, errors


class Table:
    def __init__(self, markdown):
        self.md = markdown

    def emit(self, header, rows):
        cols = [header] + rows
        widths = [max(len(str(r[i])) for r in cols) for i in range(len(header))]
        if self.md:
            print("| " + " | ".join(str(h) for h in header) + " |")
            print("|" + "|".join("---:" if i else ":---" for i in range(len(header))) + "|")
            for r in rows:
                print("| " + " | ".join(str(c) for c in r) + " |")
        else:
            print("  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
            for r in rows:
                print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        print()


def fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}"


def parse_decode(name):
    # decode/<impl>/<data>/<N>/<hot|cold>/threads:<T>
    p = name.split("/")
    if len(p) != 6 or p[0] != "decode":
        return None
    return {"impl": p[1], "data": p[2], "n": int(p[3]), "temp": p[4], "threads": int(p[5].split(":")[1])}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if any(a not in ("--markdown", "--cpu") for a in sys.argv[1:] if a.startswith("--")):
        sys.exit(__doc__)
    if len(args) != 1:
        sys.exit(__doc__)
    t = Table("--markdown" in sys.argv)
    ctx, runs, errors = load(args[0])
    cpu_mode = "--cpu" in sys.argv
    for r in runs.values():
        r["wall_ns_per_token"] = r.get("ns_per_token")
    if cpu_mode:
        to_cpu_time(runs)
    h = "### " if t.md else "== "
    print(f"{h}machine")
    print(f"host {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
          f"LLC {int(ctx.get('llc_bytes', 0)) >> 20} MiB, {ctx.get('compiler', '?')}, "
          f"bitsieve AVX2 scorer {'on' if ctx.get('bitsieve_has_avx2') == '1' else 'off'}, date {ctx.get('date', '?')}")
    print(f"{ctx.get('openblas_config', '')}\n")
    if errors:
        print(f"{h}errors")
        for n, m in errors:
            print(f"  {n}: {m}")
        print()
    busy = [r["real_time"] / r["cpu_time"] for n, r in runs.items()
            if r.get("cpu_time", 0) > 0 and "threads:2" not in n]
    if cpu_mode:
        print("Times: CPU time of the benchmark thread for one-thread benchmarks (--cpu), wall-clock for threads:2.\n")
    elif busy and statistics.median(busy) > 1.15:
        print(f"WARNING: median wall/cpu time ratio {statistics.median(busy):.2f}: the machine was busy with other "
              "work during this run, wall-clock figures are inflated.\n")

    stream = runs.get("stream/read", {}).get("GBps")
    stream2 = runs.get("stream/read/threads:2", {}).get("GBps")
    print(f"{h}stream/read")
    print(f"read bandwidth: {fmt(stream)} GB/s with one thread, {fmt(stream2)} GB/s with two\n" if stream
          else "stream/read missing\n")

    # score
    score = {}
    score_cpu = {}
    for n, r in runs.items():
        if n.startswith("score/"):
            _, impl, d = n.split("/")
            score[(impl, int(d.split(":")[1]))] = r["ns_per_token_plane"]
            score_cpu[(impl, int(d.split(":")[1]))] = (r["cpu_time"] * UNIT_NS.get(r.get("time_unit", "ns"), 1.0)
                                                       / r.get("tokens", 4096))
    if score:
        print(f"{h}score: one plane, ns per token-plane")
        rows = []
        for d in sorted({d for _, d in score}):
            sc, ap, di = (score.get((i, d)) for i in ("scalar", "andpopcount", "dispatch"))
            rows.append([f"d:{d}", fmt(sc), fmt(ap), fmt(di)] + ([] if cpu_mode else [fmt(score_cpu.get(("dispatch", d)))]) + [
                         fmt(sc / di if sc and di else None) + "x", fmt(ap / di if ap and di else None) + "x"])
        t.emit(["d", "scalar", "andpopcount", "dispatch"] + ([] if cpu_mode else ["dispatch (cpu time)"]) +
               ["dispatch vs scalar", "dispatch vs andpopcount"], rows)

    # decode
    dec = {}
    for n, r in runs.items():
        k = parse_decode(n)
        if k:
            dec[(k["data"], k["n"], k["temp"], k["threads"], k["impl"])] = r
    groups = sorted({k[:4] for k in dec}, key=lambda g: (g[0] != "real", g[1], g[2] != "hot", g[3]))
    for g in groups:
        data, n, temp, thr = g
        print(f"{h}decode {data} N={n} {temp} threads:{thr}")
        rows = []
        ref_bw = stream if thr == 1 else stream2
        base = {b: dec.get(g + (b,), {}).get("ns_per_token") for b in DENSE}
        others = sorted({k[4] for k in dec if k[:4] == g and k[4] not in IMPL_ORDER})  # impls this script does not know yet
        for impl in IMPL_ORDER + others:
            r = dec.get(g + (impl,))
            if not r:
                continue
            ns = r["ns_per_token"]
            bpt = r["bytes_per_token"]
            gbps = bpt / ns
            cpu_ns = r["cpu_time"] * UNIT_NS.get(r.get("time_unit", "ns"), 1.0) / n if thr == 1 else None
            rows.append([impl, fmt(ns)] + ([] if cpu_mode else [fmt(cpu_ns)]) + [fmt(base[b] / ns) + "x" if base[b] else "-" for b in DENSE] +
                        [fmt(bpt), fmt(gbps), f"{100 * gbps / ref_bw:.0f}%" if ref_bw else "-",
                         fmt(r.get("kept_fraction")), fmt(r.get("planes_per_key")), fmt(r.get("recall"), 4),
                         fmt(r.get("out_err"), 2)])
        t.emit(["impl", "ns/token"] + ([] if cpu_mode else ["cpu ns/token"]) + ["vs fp32_blas", "vs fp16", "vs int8", "bytes/token", "GB/s", "of stream",
                "kept", "planes/key", "recall", "out_err"], rows)

    # prefill
    pre = {}
    for n, r in runs.items():
        if n.startswith("prefill/"):
            _, impl, data, N = n.split("/")
            pre[(int(N), impl)] = r
    if pre:
        print(f"{h}prefill llm_like (causal)")
        rows = []
        for (N, impl), r in sorted(pre.items()):
            b = pre.get((N, "dense_fp32_blas"), {}).get("ns_per_token")
            rows.append([f"{impl} N={N}", fmt(r["ns_per_token"]), fmt(r["ns_per_pair"]),
                         fmt(b / r["ns_per_token"]) + "x" if b else "-", fmt(r.get("kept_fraction")),
                         fmt(r.get("planes_per_key")), fmt(r.get("recall"), 4), fmt(r.get("out_err"), 2)])
        t.emit(["impl", "ns/query row", "ns/pair", "vs fp32_blas", "kept", "planes/key", "recall", "out_err"], rows)

    # targets
    print(f"{h}issue-5 targets")

    def ns(data, n, temp, impl, thr=1):
        r = dec.get((data, n, temp, thr, impl))
        return r["ns_per_token"] if r else None

    def cpu(data, n, temp, impl):
        r = dec.get((data, n, temp, 1, impl))
        return r["cpu_time"] if r else None  # same N and unit on both sides of a ratio

    rows = []

    def target(what, value, goal, ok, cpu_ratio=None):
        rows.append([what, value, goal, "-" if ok is None else ("MET" if ok else "MISSED"),
                     fmt(cpu_ratio) + "x" if cpu_ratio else "-"])

    s128 = score.get(("dispatch", 128))
    c128 = score_cpu.get(("dispatch", 128))
    target("score dispatch d:128, ns/token-plane", fmt(s128), "<= 1.2", None if s128 is None else s128 <= 1.2,
           None)
    rows[-1][-1] = fmt(c128) + " ns" if c128 else "-"
    lats = ns("llm_like", 65536, "cold", "bitsieve_lats")
    for impl, goal in (("dense_int8", 3.0), ("dense_fp32_blas", 8.0)):
        b = ns("llm_like", 65536, "cold", impl)
        sp = b / lats if b and lats else None
        cb, cl = cpu("llm_like", 65536, "cold", impl), cpu("llm_like", 65536, "cold", "bitsieve_lats")
        target(f"decode llm_like 65536 cold T1: lats vs {impl}", fmt(sp) + "x" if sp else "-", f">= {goal}x",
               None if sp is None else sp >= goal, cb / cl if cb and cl else None)
    m = ns("real", 8192, "cold", "bitsieve_mass")
    b = ns("real", 8192, "cold", "dense_int8")
    sp = b / m if b and m else None
    cb, cm = cpu("real", 8192, "cold", "dense_int8"), cpu("real", 8192, "cold", "bitsieve_mass")
    target("decode real 8192 cold T1: mass vs dense_int8", fmt(sp) + "x" if sp else "-", ">= 1.5x",
           None if sp is None else sp >= 1.5, cb / cm if cb and cm else None)
    for impl in ("bitsieve_lats", "bitsieve_mass", "bitsieve_dense"):
        r = dec.get(("llm_like", 65536, "cold", 1, impl))
        if r and stream:
            frac = r["bytes_per_token"] / r["ns_per_token"] / stream
            target(f"{impl} llm_like 65536 cold: bytes read at GB/s / stream", f"{100 * frac:.0f}%", ">= 60%",
                   frac >= 0.6)
    r1 = dec.get(("llm_like", 65536, "cold", 1, "bitsieve_lats"))
    r2 = dec.get(("llm_like", 65536, "cold", 2, "bitsieve_lats"))
    one = r1["wall_ns_per_token"] if r1 else None  # wall clock on both sides
    two = r2["wall_ns_per_token"] if r2 else None
    target("lats llm_like 65536 cold: threads:2 vs threads:1", fmt(one / two) + "x" if one and two else "not measured",
           ">= 1.6x", None if not (one and two) else one / two >= 1.6)
    pd = pre.get((4096, "dense_fp32_blas"), {}).get("ns_per_token")
    pl = pre.get((4096, "bitsieve_lats"), {}).get("ns_per_token")
    target("prefill llm_like 4096: lats vs dense_fp32_blas", fmt(pd / pl) + "x" if pd and pl else "-", ">= 1x",
           None if not (pd and pl) else pd / pl >= 1.0)
    t.emit(["target", "measured (CPU time)" if cpu_mode else "measured (wall)", "goal", "status",
                "same ratio in CPU time"], rows)

    # What the decode speed targets need against two floors of this run: the memory floor (the
    # bytes the kernel reads at stream/read) and the scorer floor (its block planes per key at the
    # score benchmark's ns per token-plane, the plane scoring alone without decisions or values).
    print(f"{h}decode targets against the floors of this run")
    lim = []
    for data, n, impl, base_impl, goal in (("llm_like", 65536, "bitsieve_lats", "dense_int8", 3.0),
                                           ("llm_like", 65536, "bitsieve_lats", "dense_fp32_blas", 8.0),
                                           ("llm_like", 65536, "bitsieve_lats_v8", "dense_int8", 3.0),
                                           ("real", 8192, "bitsieve_mass", "dense_int8", 1.5),
                                           ("real", 8192, "bitsieve_mass_v8", "dense_int8", 1.5)):
        r = dec.get((data, n, "cold", 1, impl))
        b = dec.get((data, n, "cold", 1, base_impl))
        if not r or not b:
            continue
        need = b["ns_per_token"] / goal
        mem = r["bytes_per_token"] / stream if stream else None
        d = 128 if data == "llm_like" else 64  # the data sets' head_dim (docs/bench.md, "Data")
        sc = score.get(("dispatch", d))
        bp = r.get("block_planes_per_key")
        scorer = bp * sc if bp and sc else None
        lim.append([f"{data} {n} cold: {impl} {goal:g}x {base_impl}", fmt(r["ns_per_token"]), fmt(need),
                    fmt(mem), fmt(scorer), fmt(mem + scorer) if mem and scorer else "-",
                    fmt(b["ns_per_token"] / mem) + "x" if mem else "-"])
    t.emit(["target", "ns/token", "needed", "memory floor", "scorer floor", "sum of floors",
            "ratio at the memory floor"], lim)


if __name__ == "__main__":
    main()
