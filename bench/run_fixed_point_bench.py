#!/usr/bin/python3
"""Side-by-side fixed-point benchmark: rnnatlas against a FixedPointFinder-style search in PyTorch.

On one trained GRU (n_hidden 128, the 3-bit flip-flop; bench/fixed_point_gru.toml, trained once
with `rnnatlas train` and cached in the build tree) and the same 1024 initial states (exported by
bench/fixed_point_benchmark to an HDF5 file that both sides read), it runs in R interleaved rounds
find_fixed_points() (bench/fixed_point_benchmark, Google Benchmark) and the PyTorch reference
(bench/reference/torch_fixed_points.py, one long-lived worker), both pinned to the same CPU. It
reports the medians and their ratio, from CPU time (robust on a shared machine) and wall time:

  torch, to its own stop     FixedPointFinder's search until its stopping rule holds
  torch, to q < 1e-12        until every candidate had been below tol_q = 1e-12 at least once
                             (an oracle stop: the reference at its best)
  rnnatlas                   the whole find_fixed_points() call, Newton refinement included

and checks the results of one run of each side: candidates below 1e-12, the distinct fixed points
(FixedPointFinder's uniqueness rule, tol_unique 1e-3), whether both found the same set (every point
of one within --tol-match of a point of the other), and the final q of rnnatlas's fixed points
(target: < 1e-20).

See bench/README.md. Run with Debian's /usr/bin/python3 (torch, numpy, h5py, threadpoolctl), from
the repository root:
  /usr/bin/python3 bench/run_fixed_point_bench.py --json build/release/fixed_point_bench.json
  /usr/bin/python3 bench/run_fixed_point_bench.py --quick        # a smoke run, seconds
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

from benchlib import (JsonLinesWorker, blas_env, find_binary, machine_info, median, pin,
                      run_main)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "bench" / "reference" / "torch_fixed_points.py"
CONFIG = ROOT / "bench" / "fixed_point_gru.toml"
NETWORK_NAME = "gru128_flip_flop.h5"  # in <build>/bench/fixed_point_data/
TOL_Q = 1e-12
TOL_UNIQUE = 1e-3
TO_S = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run(cmd, cpu, what):
    t0 = time.monotonic()
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                         preexec_fn=pin(cpu))
    if out.returncode != 0:
        sys.exit(f"error: {what} failed (exit {out.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{out.stderr[-2000:]}")
    return out, time.monotonic() - t0


# --- the network -----------------------------------------------------------------------------

def network_metrics(path):
    with h5py.File(path, "r") as f:
        ev, tr = f["evaluation"].attrs, f["training"].attrs
        return {"normalized_mse": float(ev["normalized_mse"]),
                "sign_accuracy": float(ev["sign_accuracy"]),
                "training_seconds": float(tr["seconds"]),
                "n_iterations": int(tr["n_iterations_done"]),
                "termination": str(tr["termination"])}


def prepare_network(build_dir, data_dir, cpu, max_nmse):
    """Trains the GRU of bench/fixed_point_gru.toml once (cached) and checks it solves the task."""
    path = data_dir / NETWORK_NAME
    if path.is_file():
        print(f"network: {path} (cached)", flush=True)
    else:
        cli = build_dir / "apps" / "rnnatlas" / "rnnatlas"
        if not cli.is_file():
            sys.exit(f"error: {path} does not exist and there is no {cli} to train it; build the "
                     "`rnnatlas` target too")
        print(f"training the network: {cli} train --config {CONFIG} (about 30 s of CPU)",
              flush=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        out, wall = run([cli, "train", "--config", CONFIG, "--out", path, "--quiet"], cpu,
                        "rnnatlas train")
        print("  " + out.stdout.strip().replace("\n", "\n  "), flush=True)
        print(f"  trained in {wall:.1f} s wall", flush=True)
    m = network_metrics(path)
    if not m["normalized_mse"] < max_nmse:
        sys.exit(f"error: {path} has held-out normalized MSE {m['normalized_mse']:.3g}, not below "
                 f"{max_nmse}: it does not solve the flip-flop; delete it to retrain")
    return path, m


# --- the rnnatlas side -----------------------------------------------------------------------

def export(binary, network, n_init, data_dir, cpu):
    """Initial states for both sides and one rnnatlas result, from the benchmark binary."""
    states = data_dir / f"initial_states_{n_init}.h5"
    result = data_dir / f"rnnatlas_result_{n_init}.h5"
    run([binary, f"--fpb_network={network}", f"--fpb_n_init={n_init}",
         f"--fpb_states_out={states}", f"--fpb_result_out={result}"], cpu,
        "fixed_point_benchmark (export)")
    return states, result


def time_rnnatlas(binary, network, n_init, cpu, min_time):
    out, _ = run([binary, f"--fpb_network={network}", f"--fpb_n_init={n_init}",
                  f"--benchmark_min_time={min_time}", "--benchmark_format=json"], cpu,
                 "fixed_point_benchmark")
    (b,) = [b for b in json.loads(out.stdout)["benchmarks"]
            if b.get("run_type", "iteration") == "iteration"]
    unit = TO_S[b["time_unit"]]
    return {"cpu_s": b["cpu_time"] * unit, "wall_s": b["real_time"] * unit,
            "iterations": b["iterations"], "name": b["name"],
            "counters": {k: b[k] for k in ("n_points", "n_fixed", "n_converged", "max_q",
                                           "adam_iters") if k in b}}


# --- the PyTorch side ------------------------------------------------------------------------

def openblas_architecture(info):
    pools = [p for p in info.get("threadpools", []) if p.get("internal_api") == "openblas"]
    return pools[0].get("architecture") if pools else "not OpenBLAS"


# --- comparing the results -------------------------------------------------------------------

def unique_points(states, q, tol_unique=TOL_UNIQUE):
    """FixedPointFinder's rule: in ascending q, a point within tol_unique of a kept one is a
    duplicate. Returns the kept indices."""
    kept = []
    for i in np.argsort(q, kind="stable"):
        if all(np.linalg.norm(states[i] - states[k]) > tol_unique for k in kept):
            kept.append(i)
    return np.array(kept, dtype=int)


def compare(rnnatlas_file, torch_npz, tol_match):
    with h5py.File(rnnatlas_file, "r") as f:
        ours = np.asarray(f["states"])
        our_q = np.asarray(f["q"])
        our_slow = np.asarray(f["is_slow"]).astype(bool)
        attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
    theirs_all = np.load(torch_npz)
    their_q_all = theirs_all["q"]
    converged = np.where(their_q_all < TOL_Q)[0]
    kept = converged[unique_points(theirs_all["states"][converged], their_q_all[converged])]
    theirs = theirs_all["states"][kept]
    fixed = ours[~our_slow]

    def nearest(a, b):
        if len(a) == 0 or len(b) == 0:
            return np.full(len(a), np.inf)
        return np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2), axis=1)

    d_ours = nearest(fixed, theirs)  # each rnnatlas fixed point to the nearest torch point
    d_theirs = nearest(theirs, fixed)
    return {
        "rnnatlas_n_converged_candidates": int(attrs["n_converged"]),
        "rnnatlas_n_fixed_points": int(len(fixed)),
        "rnnatlas_n_slow_points": int(our_slow.sum()),
        "rnnatlas_max_q": float(our_q[~our_slow].max()) if len(fixed) else float("nan"),
        "rnnatlas_report": str(attrs.get("brief_report", "")),
        "torch_n_candidates_below_tol_q": int(len(converged)),
        "torch_n_distinct_points": int(len(theirs)),
        "torch_max_q": float(their_q_all[kept].max()) if len(kept) else float("nan"),
        "rnnatlas_points_matched": int(np.sum(d_ours <= tol_match)),
        "torch_points_matched": int(np.sum(d_theirs <= tol_match)),
        "max_match_distance": float(max(d_ours.max(initial=0), d_theirs.max(initial=0))),
        "same_set": bool(np.all(d_ours <= tol_match) and np.all(d_theirs <= tol_match)),
    }


# --- the comparison --------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See bench/README.md.")
    p.add_argument("--build-dir", help="CMake build tree with bench/fixed_point_benchmark and "
                   "apps/rnnatlas/rnnatlas (default: build/release, else build)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--n-init", type=int, default=1024, help="initial states (default 1024)")
    p.add_argument("--max-iters", type=int, default=5000,
                   help="the reference's max_iters (default 5000, FixedPointFinder's)")
    p.add_argument("--min-time", type=float, default=1.0,
                   help="CPU seconds of rnnatlas runs per round (default 1.0)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 1 round, 128 initial states, at most 300 reference "
                   "iterations")
    p.add_argument("--tol-match", type=float, default=1e-3,
                   help="two points are the same fixed point within this distance (default 1e-3)")
    p.add_argument("--max-nmse", type=float, default=0.01,
                   help="the network must reach this held-out normalized MSE (default 0.01)")
    p.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)),
                   help="CPU both sides are pinned to (default: the highest allowed)")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter with torch for the reference (default /usr/bin/python3)")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.n_init, args.max_iters, args.min_time = 1, 128, 300, 0.2
    if args.rounds < 1:
        p.error(f"--rounds = {args.rounds}: must be >= 1")
    if args.n_init < 1:
        p.error(f"--n-init = {args.n_init}: must be >= 1")
    if args.cpu not in os.sched_getaffinity(0):
        p.error(f"--cpu = {args.cpu}: must be one of {sorted(os.sched_getaffinity(0))}")
    binary = find_binary(args.build_dir, "bench/fixed_point_benchmark")
    build_dir = binary.parent.parent if binary else None
    if build_dir is None:
        p.error(f"no bench/fixed_point_benchmark under {args.build_dir or 'build/release or build'}"
                "; build it with: cmake --preset release && cmake --build build/release "
                "--target fixed_point_benchmark rnnatlas")
    binary = build_dir / "bench" / "fixed_point_benchmark"
    data_dir = build_dir / "bench" / "fixed_point_data"

    started = time.monotonic()
    machine = machine_info()
    print(f"machine: {machine['cpu_model']}, {machine['n_cpus']} CPUs, load average "
          f"{machine['load_average_start'][0]:.2f}; both sides on CPU {args.cpu}", flush=True)
    network, metrics = prepare_network(build_dir, data_dir, args.cpu, args.max_nmse)
    print(f"  held-out normalized MSE {metrics['normalized_mse']:.2e}, sign accuracy "
          f"{metrics['sign_accuracy']:.4f}; trained {metrics['n_iterations']} iterations in "
          f"{metrics['training_seconds']:.1f} s", flush=True)
    states_file, result_file = export(binary, network, args.n_init, data_dir, args.cpu)

    worker = JsonLinesWorker([args.python, REFERENCE, "--serve"], "the torch worker", blas_env(),
                             args.cpu)
    torch_info = worker.request(cmd="info")
    loaded = worker.request(cmd="load", network=str(network), initial_states=str(states_file))
    print(f"torch {torch_info['torch']}, {torch_info['torch_threads']} thread, OpenBLAS "
          f"{openblas_architecture(torch_info)} kernels; {loaded['n_init']} initial states",
          flush=True)

    rounds = []
    torch_npz = data_dir / f"torch_result_{args.n_init}.npz"
    for i in range(args.rounds):
        ours = time_rnnatlas(binary, network, args.n_init, args.cpu, args.min_time)
        theirs = worker.request(cmd="search", max_iters=args.max_iters,
                                **({"out": str(torch_npz)} if i == 0 else {}))
        rounds.append({"rnnatlas": ours, "torch": theirs})
        oracle = theirs["cpu_s_all_ever_below"]
        print(f"round {i + 1}/{args.rounds}: rnnatlas {ours['cpu_s']:.3f} s; torch "
              f"{theirs['cpu_s']:.2f} s to its stop ({theirs['n_iters']} iterations), "
              + (f"{oracle:.2f} s to q < 1e-12 for {theirs['n_ever_below_tol_q']}"
                 if oracle is not None else "never below 1e-12")
              + " (CPU)", flush=True)
    worker.close()

    def med(side, key):
        return median([r[side][key] for r in rounds if r[side].get(key) is not None])

    all_below = all(r["torch"]["n_ever_below_tol_q"] == args.n_init for r in rounds)
    summary = {
        "rnnatlas_cpu_s": med("rnnatlas", "cpu_s"),
        "rnnatlas_wall_s": med("rnnatlas", "wall_s"),
        "torch_cpu_s": med("torch", "cpu_s"),
        "torch_wall_s": med("torch", "wall_s"),
        "torch_cpu_s_to_tol_q": med("torch", "cpu_s_all_ever_below") if all_below else None,
        "torch_iterations": med("torch", "n_iters"),
    }
    summary["ratio_cpu_to_stop"] = summary["torch_cpu_s"] / summary["rnnatlas_cpu_s"]
    summary["ratio_wall_to_stop"] = summary["torch_wall_s"] / summary["rnnatlas_wall_s"]
    per_round = [r["torch"]["cpu_s"] / r["rnnatlas"]["cpu_s"] for r in rounds]
    summary["ratio_cpu_to_stop_range"] = [min(per_round), max(per_round)]
    if all_below:
        summary["ratio_cpu_to_tol_q"] = summary["torch_cpu_s_to_tol_q"] / summary["rnnatlas_cpu_s"]
        per_round = [r["torch"]["cpu_s_all_ever_below"] / r["rnnatlas"]["cpu_s"] for r in rounds]
        summary["ratio_cpu_to_tol_q_range"] = [min(per_round), max(per_round)]
    check = compare(result_file, torch_npz, args.tol_match)
    machine["load_average_end"] = os.getloadavg()
    elapsed = time.monotonic() - started

    print()
    print(f"{args.n_init} initial states, medians of {args.rounds} round(s), one thread each:")
    print(f"  rnnatlas find_fixed_points   {summary['rnnatlas_cpu_s']:9.3f} s CPU "
          f"{summary['rnnatlas_wall_s']:9.3f} s wall")
    print(f"  torch, to its own stop       {summary['torch_cpu_s']:9.3f} s CPU "
          f"{summary['torch_wall_s']:9.3f} s wall  ({summary['torch_iterations']:.0f} iterations)"
          f"   ratio {summary['ratio_cpu_to_stop']:.1f} (CPU; rounds "
          f"{summary['ratio_cpu_to_stop_range'][0]:.1f}-{summary['ratio_cpu_to_stop_range'][1]:.1f})"
          f", {summary['ratio_wall_to_stop']:.1f} (wall)")
    if all_below:
        lo, hi = summary["ratio_cpu_to_tol_q_range"]
        print(f"  torch, to q < 1e-12 (all)    {summary['torch_cpu_s_to_tol_q']:9.3f} s CPU"
              f"{'':20s}ratio {summary['ratio_cpu_to_tol_q']:.1f} (CPU; rounds {lo:.1f}-{hi:.1f})")
    else:
        print("  torch, to q < 1e-12: not every candidate got there (see the counts below)")
    print()
    print(f"rnnatlas: {check['rnnatlas_report']}")
    print(f"  {check['rnnatlas_n_converged_candidates']} candidates below 1e-12; "
          f"{check['rnnatlas_n_fixed_points']} fixed points (+ {check['rnnatlas_n_slow_points']} "
          f"slow), max q {check['rnnatlas_max_q']:.2e} (target < 1e-20)")
    print(f"torch: {check['torch_n_candidates_below_tol_q']} candidates below 1e-12 at the end; "
          f"{check['torch_n_distinct_points']} distinct points, max q {check['torch_max_q']:.2e}")
    unconverged = check["torch_n_candidates_below_tol_q"] < args.n_init
    print(f"same set of fixed points (within {args.tol_match:g}): "
          f"{'yes' if check['same_set'] else 'NO'}"
          f"{' (the reference stopped before every candidate converged)' if unconverged else ''}"
          f" ({check['rnnatlas_points_matched']} of "
          f"{check['rnnatlas_n_fixed_points']} rnnatlas points and "
          f"{check['torch_points_matched']} of {check['torch_n_distinct_points']} torch points "
          f"matched; largest distance {check['max_match_distance']:.1e})")
    print(f"load average {machine['load_average_start'][0]:.2f} at start, "
          f"{machine['load_average_end'][0]:.2f} at end; {elapsed:.0f} s")

    if args.json:
        report = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "config": {"n_init": args.n_init, "rounds": args.rounds, "cpu": args.cpu,
                       "max_iters": args.max_iters, "min_time_s": args.min_time,
                       "tol_match": args.tol_match, "network": str(network),
                       "initial_states": str(states_file), "binary": str(binary)},
            "network": metrics, "machine": machine, "torch": torch_info,
            "summary": summary, "check": check, "rounds": rounds, "elapsed_s": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    run_main(main)
