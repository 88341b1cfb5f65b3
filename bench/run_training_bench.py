#!/usr/bin/python3
"""Side-by-side training benchmark: rnnatlas against PyTorch, interleaved on one core.

For each of R rounds and each architecture it runs bench/training_benchmark (Google Benchmark,
JSON output, counter ms_per_iteration) and then the same training iteration in PyTorch
(bench/reference/torch_training.py, one long-lived worker process), both pinned to the same CPU.
It takes the median of each side over the rounds and prints ratio = torch ms / rnnatlas ms (> 1:
rnnatlas is faster), from CPU time (robust on a shared machine) and from wall time.

It also measures the single-core sgemm peak (Eigen in bench/gemm_benchmark, OpenBLAS through
numpy in the worker) and reports rnnatlas's matrix-product throughput, GEMM FLOPs per training
iteration / time per iteration, as a fraction of that peak. Before the rounds it tries OpenBLAS
kernel choices (OPENBLAS_CORETYPE) for the PyTorch worker and keeps the fastest valid one.

See bench/README.md. Run with Debian's /usr/bin/python3 (torch, numpy, threadpoolctl), from the
repository root:
  /usr/bin/python3 bench/run_training_bench.py --json build/release/training_bench.json
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchlib import (JsonLinesWorker, WorkerDied, blas_env, find_binary, machine_info, median,
                      pin, run_main)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "bench" / "reference" / "torch_training.py"
ARCHS = ("vanilla", "ugrnn", "gru", "lstm")
GATES = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}
UGRNN_IMPLS = ("eager", "script")  # torch has no UGRNN module: a loop of ops, eager or scripted
# The configuration of BM_Train in bench/micro/training_benchmark.cc (the driver checks its name).
N_HIDDEN, N_BATCH, N_TIME, N_IO = 128, 64, 100, 3
CORETYPES = ("default", "Haswell", "Zen", "SkylakeX")  # "default": OPENBLAS_CORETYPE unset
TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def gemm_flops_per_iteration(arch, n_hidden=N_HIDDEN, n_batch=N_BATCH, n_time=N_TIME,
                             n_input=N_IO, n_output=N_IO):
    """FLOPs of the matrix products of one training iteration, G = gates * N: forward W_hh h,
    backward W_hh^T dq and dW_hh (2 G N B T each), plus the input projection and the readout,
    once forward and twice backward each."""
    G, N, BT = GATES[arch] * n_hidden, n_hidden, n_batch * n_time
    return 3 * 2 * G * N * BT + 3 * 2 * G * n_input * BT + 3 * 2 * n_output * N * BT


# --- rnnatlas side ---------------------------------------------------------------------------

def run_benchmark(binary, bench_filter, cpu, min_time, repetitions=1):
    """Runs a Google Benchmark binary; returns its per-run entries (no aggregates)."""
    cmd = [str(binary), f"--benchmark_filter={bench_filter}", f"--benchmark_min_time={min_time}",
           "--benchmark_format=json"]
    if repetitions > 1:
        cmd.append(f"--benchmark_repetitions={repetitions}")
    out = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pin(cpu))
    if out.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    runs = [b for b in json.loads(out.stdout)["benchmarks"]
            if b.get("run_type", "iteration") == "iteration"]
    if not runs:
        sys.exit(f"error: {binary.name} ran no benchmark matching {bench_filter!r}")
    return runs


def run_rnnatlas(binary, arch, cpu, min_time):
    name = f"BM_Train/{arch}/n_hidden:{N_HIDDEN}/n_batch:{N_BATCH}/n_time:{N_TIME}"
    (b,) = run_benchmark(binary, "^" + name + "$", cpu, min_time)
    if "ms_per_iteration" not in b:
        sys.exit(f"error: {name} reports no ms_per_iteration counter; rebuild training_benchmark")
    cpu_ms = b["ms_per_iteration"]  # CPU milliseconds per training iteration
    unit = TO_MS[b["time_unit"]]
    n_train = b["cpu_time"] * unit / cpu_ms  # training iterations per benchmark iteration
    return {"cpu_ms": cpu_ms, "wall_ms": b["real_time"] * unit / n_train,
            "iterations": round(b["iterations"] * n_train)}


def eigen_sgemm_gflops(binary, cpu):
    runs = run_benchmark(binary, "^BM_Sgemm/eigen/M:2048/N:2048/K:2048$", cpu, 0.1, repetitions=3)
    return max(r["flops"] for r in runs) / 1e9


# --- PyTorch side ----------------------------------------------------------------------------

def openblas_pool(info):
    pools = [p for p in info["threadpools"] if p.get("internal_api") == "openblas"]
    return pools[0] if pools else None


def probe_coretypes(python, cpu, coretypes, min_time, passes=3):
    """Starts a worker per OPENBLAS_CORETYPE and times each in interleaved passes (sgemm 2048^3
    and a short GRU training); returns (probe rows, the worker of the fastest valid kernel)."""
    rows, workers = [], {}
    for ct in coretypes:
        row = {"coretype": ct}
        w = JsonLinesWorker([python, REFERENCE, "--serve"], f"torch (OPENBLAS_CORETYPE {ct})",
                            blas_env(coretype=ct), cpu)
        w.coretype = ct
        try:
            info = w.request(cmd="info")
            pool = openblas_pool(info)
            row["blas"] = pool["filepath"] if pool else "not OpenBLAS"
            row["architecture"] = pool.get("architecture") if pool else None
            row["max_rel_error"] = w.request(cmd="sgemm", n=256, repeats=1)["max_rel_error"]
            row["valid"] = pool is not None and row["max_rel_error"] < 1e-4
            if not row["valid"]:
                row["why_invalid"] = ("torch does not use OpenBLAS" if pool is None else
                                      f"wrong results (relative error {row['max_rel_error']:.2e})")
        except (WorkerDied, RuntimeError) as e:
            row.update(valid=False, why_invalid=f"worker {e}")
        rows.append(row)
        if row["valid"]:
            workers[ct] = w
        else:
            w.close()
    valid = [r for r in rows if r["valid"]]
    if not valid:
        sys.exit("error: no OPENBLAS_CORETYPE gave a working torch: " + json.dumps(rows))
    # Interleaved passes, best of each: the machine's noise hits every candidate alike.
    for r in valid:
        r.update(numpy_gflops=0.0, torch_gflops=0.0, gru_cpu_ms=float("inf"))
    for _ in range(passes):
        for r in valid:
            w = workers[r["coretype"]]
            g = w.request(cmd="sgemm", n=2048, repeats=2)
            r["numpy_gflops"] = max(r["numpy_gflops"], g["numpy_gflops"])
            r["torch_gflops"] = max(r["torch_gflops"], g["torch_gflops"])
            t = w.request(cmd="train", arch="gru", min_time=min_time)
            r["gru_cpu_ms"] = min(r["gru_cpu_ms"], t["cpu_ms"])
    for r in valid:
        notes = workers[r["coretype"]].stderr_text()
        if notes:
            r["stderr"] = notes[-300:]
    best = min(valid, key=lambda r: r["gru_cpu_ms"])
    default = next((r for r in valid if r["coretype"] == "default"), None)
    # Within noise of the default, keep the default: it is what users get.
    if default and best["gru_cpu_ms"] > 0.97 * default["gru_cpu_ms"]:
        best = default
    for ct, w in workers.items():
        if ct != best["coretype"]:
            w.close()
    return rows, workers[best["coretype"]]


# --- the comparison --------------------------------------------------------------------------

def format_table(results, peak, peak_source):
    head = (f"{'arch':8s} {'rnnatlas ms/iter':>16s} {'torch ms/iter':>13s} {'ratio':>6s} "
            f"{'(round range)':>13s} {'rnnatlas GFLOP/s':>16s} {'% sgemm peak':>12s}")
    lines = ["CPU time per training iteration, median over rounds:", head, "-" * len(head)]
    for r in results:
        lo, hi = r["ratio_cpu_range"]
        lines.append(f"{r['arch']:8s} {r['rnnatlas_cpu_ms']:16.2f} {r['torch_cpu_ms']:13.2f} "
                     f"{r['ratio_cpu']:6.2f} {f'({lo:.2f}-{hi:.2f})':>13s} "
                     f"{r['rnnatlas_gflops']:16.1f} {r['percent_of_peak']:11.0f}%")
    lines += ["", "Wall time per training iteration, median over rounds:",
              f"{'arch':8s} {'rnnatlas ms/iter':>16s} {'torch ms/iter':>13s} {'ratio':>6s}"]
    for r in results:
        lines.append(f"{r['arch']:8s} {r['rnnatlas_wall_ms']:16.2f} {r['torch_wall_ms']:13.2f} "
                     f"{r['ratio_wall']:6.2f}")
    lines += ["", f"sgemm peak, one core (2048^3 float32): {peak:.1f} GFLOP/s ({peak_source})"]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See bench/README.md.")
    p.add_argument("--build-dir", help="CMake build tree with bench/training_benchmark "
                   "(default: build/release, else build)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--min-time", type=float, default=1.0,
                   help="CPU seconds per measurement and side (default 1.0)")
    p.add_argument("--arch", nargs="+", choices=ARCHS, default=list(ARCHS))
    p.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)),
                   help="CPU both sides are pinned to (default: the highest allowed)")
    p.add_argument("--coretype", nargs="+", default=list(CORETYPES),
                   help="OPENBLAS_CORETYPE values to try for torch, 'default' = unset "
                   f"(default: {' '.join(CORETYPES)}); the fastest valid one is used")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter with torch for the reference (default /usr/bin/python3)")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = p.parse_args()
    if args.rounds < 1:
        p.error(f"--rounds = {args.rounds}: must be >= 1")
    if args.min_time <= 0:
        p.error(f"--min-time = {args.min_time}: must be > 0")
    if args.cpu not in os.sched_getaffinity(0):
        p.error(f"--cpu = {args.cpu}: must be one of {sorted(os.sched_getaffinity(0))}")

    train_bin = find_binary(args.build_dir, "bench/training_benchmark")
    if train_bin is None:
        p.error(f"no bench/training_benchmark under {args.build_dir or 'build/release or build'}; "
                "build it with: cmake --preset release && "
                "cmake --build build/release --target training_benchmark gemm_benchmark")
    gemm_bin = find_binary(args.build_dir, "bench/gemm_benchmark")
    started = time.monotonic()
    machine = machine_info()
    print(f"rnnatlas: {train_bin}\nmachine: {machine['cpu_model']}, {machine['n_cpus']} CPUs, "
          f"load average {machine['load_average_start'][0]:.2f}; both sides on CPU {args.cpu}",
          flush=True)

    print("OpenBLAS kernels for torch (OPENBLAS_CORETYPE):", flush=True)
    probe, worker = probe_coretypes(args.python, args.cpu, args.coretype, args.min_time / 3)
    for r in probe:
        if r["valid"]:
            print(f"  {r['coretype']:9s} -> {r['architecture']:10s} numpy sgemm "
                  f"{r['numpy_gflops']:5.1f} GFLOP/s, torch GRU {r['gru_cpu_ms']:6.2f} ms/iter"
                  " (best of 3)"
                  + (f"  [{r['stderr']}]" if "stderr" in r else ""))
        else:
            print(f"  {r['coretype']:9s} -> invalid: {r['why_invalid']}")
    torch_info = worker.request(cmd="info")
    print(f"  using {worker.coretype} ({openblas_pool(torch_info)['architecture']} kernels), "
          f"torch {torch_info['torch']}, {torch_info['torch_threads']} thread", flush=True)

    rounds = []
    for i in range(args.rounds):
        rnd = {"rnnatlas": {}, "torch": {}}
        for arch in args.arch:
            rnd["rnnatlas"][arch] = run_rnnatlas(train_bin, arch, args.cpu, args.min_time)
            impls = UGRNN_IMPLS if arch == "ugrnn" else ("eager",)
            rnd["torch"][arch] = {impl: worker.request(cmd="train", arch=arch, impl=impl,
                                                       min_time=args.min_time)
                                  for impl in impls}
        rnd["sgemm_openblas"] = worker.request(cmd="sgemm", n=2048, repeats=3)
        if gemm_bin:
            rnd["sgemm_eigen_gflops"] = eigen_sgemm_gflops(gemm_bin, args.cpu)
        rounds.append(rnd)
        summary = "  ".join(
            f"{a} {rnd['rnnatlas'][a]['cpu_ms']:.1f}/"
            f"{min(t['cpu_ms'] for t in rnd['torch'][a].values()):.1f}" for a in args.arch)
        print(f"round {i + 1}/{args.rounds} (rnnatlas/torch CPU ms): {summary}", flush=True)
    worker.close()

    peaks = {"openblas_numpy": max(r["sgemm_openblas"]["numpy_gflops"] for r in rounds),
             "openblas_torch": max(r["sgemm_openblas"]["torch_gflops"] for r in rounds)}
    if gemm_bin:
        peaks["eigen"] = max(r["sgemm_eigen_gflops"] for r in rounds)
    peak_source = max(peaks, key=peaks.get)
    peak = peaks[peak_source]

    results = []
    for arch in args.arch:
        ours = [r["rnnatlas"][arch] for r in rounds]
        impl_cpu = {impl: median([r["torch"][arch][impl]["cpu_ms"] for r in rounds])
                    for impl in rounds[0]["torch"][arch]}
        impl = min(impl_cpu, key=impl_cpu.get)  # the faster torch implementation
        theirs = [r["torch"][arch][impl] for r in rounds]
        per_round = [t["cpu_ms"] / o["cpu_ms"] for t, o in zip(theirs, ours)]
        flops = gemm_flops_per_iteration(arch)
        row = {
            "arch": arch,
            "gemm_gflop_per_iteration": flops / 1e9,
            "rnnatlas_cpu_ms": median([o["cpu_ms"] for o in ours]),
            "rnnatlas_wall_ms": median([o["wall_ms"] for o in ours]),
            "torch_impl": impl,
            "torch_impl_cpu_ms": impl_cpu,
            "torch_cpu_ms": median([t["cpu_ms"] for t in theirs]),
            "torch_wall_ms": median([t["wall_ms"] for t in theirs]),
            "ratio_cpu_range": [min(per_round), max(per_round)],
        }
        row["ratio_cpu"] = row["torch_cpu_ms"] / row["rnnatlas_cpu_ms"]
        row["ratio_wall"] = row["torch_wall_ms"] / row["rnnatlas_wall_ms"]
        row["rnnatlas_gflops"] = flops / row["rnnatlas_cpu_ms"] / 1e6
        row["torch_gflops"] = flops / row["torch_cpu_ms"] / 1e6
        row["percent_of_peak"] = 100 * row["rnnatlas_gflops"] / peak
        row["percent_of_each_peak"] = {k: 100 * row["rnnatlas_gflops"] / v
                                       for k, v in peaks.items()}
        row["roofline_min_ms"] = flops / peak / 1e6
        results.append(row)

    machine["load_average_end"] = os.getloadavg()
    elapsed = time.monotonic() - started
    print()
    print(format_table(results, peak, peak_source))
    ugrnn_impl = next((r["torch_impl"] for r in results if r["arch"] == "ugrnn"), "-")
    print("sgemm peaks: " + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items()) + " GFLOP/s")
    print(f"torch: OPENBLAS_CORETYPE {worker.coretype} -> "
          f"{openblas_pool(torch_info)['architecture']} kernels; UGRNN loop: {ugrnn_impl}")
    print(f"load average {machine['load_average_start'][0]:.2f} at start, "
          f"{machine['load_average_end'][0]:.2f} at end; {elapsed:.0f} s")

    if args.json:
        report = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "config": {"n_hidden": N_HIDDEN, "n_batch": N_BATCH, "n_time": N_TIME,
                       "n_input": N_IO, "n_output": N_IO, "dtype": "float32", "threads": 1,
                       "cpu": args.cpu, "rounds": args.rounds, "min_time_s": args.min_time,
                       "training_benchmark": str(train_bin),
                       "gemm_benchmark": str(gemm_bin) if gemm_bin else None},
            "machine": machine,
            "torch": torch_info,
            "openblas_coretype_probe": probe,
            "openblas_coretype_used": worker.coretype,
            "sgemm_peak_gflops": dict(peaks, used=peak, source=peak_source),
            "results": results,
            "rounds": rounds,
            "elapsed_s": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    run_main(main)
