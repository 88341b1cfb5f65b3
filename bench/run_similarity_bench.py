#!/usr/bin/python3
"""Side-by-side similarity benchmark: rnnatlas distance matrices against a numpy loop over pairs.

rnnatlas (bench/similarity_worker, one long-lived process) computes the full SVCCA and linear-CKA
distance matrices of N synthetic networks (activity 12,800 x 128 each: 128 trials x 100 steps)
with distance_matrix() on --threads threads. numpy (bench/reference/numpy_similarity.py, a
long-lived worker) computes the same metric on a sample of S of those networks: it prepares each
once, then loops over the S (S - 1) / 2 pairs; its time for all N networks is extrapolated as

    N x (time per preparation) + N (N - 1) / 2 x (time per pair).

numpy runs with OpenBLAS on 1 thread and on --threads threads; its time on T cores is the better of
the T-thread loop and the 1-thread loop divided by T (T independent processes splitting the pairs,
perfectly: the most favourable reading for numpy). The distances of the sampled pairs must agree.

Both sides get the same data: the worker generates every network (float32) from a seed and writes
the sampled ones to a .npy file for numpy. Rounds are interleaved (rnnatlas, then numpy, per
metric); medians over rounds; ratio = numpy time / rnnatlas time (> 1: rnnatlas is faster), on CPU
time (core-seconds, what a shared machine disturbs least; numpy's 1-thread loop) and on wall time
(each side on --threads cores). Also reported: the ratio against numpy without reuse, where every
pair prepares both of its networks (as a per-pair call like google/svcca's does).

See bench/README.md. Run with Debian's /usr/bin/python3 (numpy, threadpoolctl), from the
repository root:
  /usr/bin/python3 bench/run_similarity_bench.py --quick          # 50 networks, a few minutes
  /usr/bin/python3 bench/run_similarity_bench.py --json build/release/similarity_bench.json
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchlib import JsonLinesWorker, blas_env, find_binary, machine_info, median, run_main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "bench" / "reference" / "numpy_similarity.py"
METRICS = ("svcca", "cka")


def sample_indices(n, s):
    """s network indices spread evenly over [0, n)."""
    s = min(s, n)
    return sorted({round(i * (n - 1) / (s - 1)) for i in range(s)})


def fmt_time(s):
    if s >= 3600:
        return f"{s / 3600:.2f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.2f} s"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See bench/README.md.")
    p.add_argument("--build-dir", help="CMake build tree with bench/similarity_worker "
                   "(default: build/release, else build)")
    p.add_argument("--quick", action="store_true",
                   help="50 networks, 12 sampled, 3 rounds (about a minute)")
    p.add_argument("--networks", type=int, help="N for SVCCA (default 1000; --quick 50)")
    p.add_argument("--cka-networks", type=int,
                   help="N for linear CKA (default: as --networks, at most 100: see README)")
    p.add_argument("--sample", type=int,
                   help="networks numpy computes for SVCCA (default 64; --quick 24): their bases "
                   "(1 MB each) must overflow the caches, as the N bases of the full loop do")
    p.add_argument("--cka-sample", type=int,
                   help="networks numpy computes for CKA (default 16; --quick 8)")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 2; --quick 3)")
    p.add_argument("--threads", type=int, default=2, help="cores for each side (default 2)")
    p.add_argument("--k", type=int, default=10, help="SVCCA directions kept (default 10)")
    p.add_argument("--trials", type=int, default=128,
                   help="trials of 100 steps per network (default 128: 12,800 samples; "
                   "`rnnatlas compare` uses 32)")
    p.add_argument("--svd", choices=("eigh", "svd"), default="eigh",
                   help="numpy's SVCCA directions: eigh of X^T X (default, faster) or "
                   "np.linalg.svd")
    p.add_argument("--metric", nargs="+", choices=METRICS, default=list(METRICS))
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter with numpy for the reference (default /usr/bin/python3)")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = p.parse_args()
    n_svcca = args.networks or (50 if args.quick else 1000)
    n_cka = args.cka_networks or min(n_svcca, 100)
    n_sample = {"svcca": args.sample or (24 if args.quick else 64),
                "cka": args.cka_sample or (8 if args.quick else 16)}
    rounds = args.rounds or (3 if args.quick else 2)
    if min(n_svcca, n_cka, *n_sample.values()) < 2 or rounds < 1 or args.threads < 1:
        p.error("--networks, --cka-networks, --sample and --cka-sample must be >= 2; --rounds and "
                "--threads >= 1")
    n_of = {"svcca": n_svcca, "cka": n_cka}

    worker_bin = find_binary(args.build_dir, "bench/similarity_worker")
    if worker_bin is None:
        p.error(f"no bench/similarity_worker under {args.build_dir or 'build/release or build'}; "
                "build it with: cmake --preset release && "
                "cmake --build build/release --target similarity_worker")
    started = time.monotonic()
    machine = machine_info()
    n_generate = max(n_of[m] for m in args.metric)
    print(f"rnnatlas: {worker_bin}\nmachine: {machine['cpu_model']}, {machine['n_cpus']} CPUs, "
          f"load average {machine['load_average_start'][0]:.2f}; {args.threads} threads per side",
          flush=True)
    n_samples = 100 * args.trials
    print(f"generating {n_generate} networks of {n_samples} x 128 (float32, "
          f"{n_generate * n_samples * 128 * 4 / 1e9:.1f} GB) ...", flush=True)

    env = blas_env(args.threads)
    ours = JsonLinesWorker([worker_bin, "--networks", n_generate, "--threads", args.threads,
                            "--trials", args.trials], "rnnatlas", env, quit_line="quit")
    info = ours.request("info")
    print(f"  generated in {info['generate_s']:.1f} s; Eigen SIMD: {info['eigen_simd']}",
          flush=True)
    theirs = JsonLinesWorker([args.python, REFERENCE, "--serve"], "numpy", env)
    np_info = theirs.request(cmd="info")
    blas = [t for t in np_info["threadpools"] if t.get("internal_api") == "openblas"]
    print(f"numpy {np_info['numpy']}: " + (
        f"OpenBLAS {blas[0]['version']} ({blas[0]['architecture']} kernels, "
        f"{blas[0]['threading_layer']}), {blas[0]['filepath']}" if blas else
        "no OpenBLAS found by threadpoolctl"), flush=True)

    tmp = tempfile.TemporaryDirectory(prefix="rnnatlas_simbench_")
    samples, paths = {}, {}
    for m in args.metric:
        samples[m] = sample_indices(n_of[m], n_sample[m])
        paths[m] = os.path.join(tmp.name, f"sample_{m}.npy")
        ours.request(f"dump {paths[m]} {','.join(map(str, samples[m]))}")

    thread_counts = sorted({1, args.threads})
    log = []
    for r in range(rounds):
        rnd = {}
        for m in args.metric:
            n, s = n_of[m], ",".join(map(str, samples[m]))
            prep = ours.request(f"prepare {m} {n} {args.k} {s}")
            mat = ours.request(f"matrix {m} {n} {args.k} {s}")
            ref = {t: theirs.request(json.dumps({"cmd": "time", "path": paths[m], "metric": m,
                                                 "threads": t, "k": args.k, "svd": args.svd}))
                   for t in thread_counts}
            rnd[m] = {"rnnatlas_prepare": prep, "rnnatlas_matrix": mat, "numpy": ref}
            print(f"round {r + 1}/{rounds} {m}: rnnatlas {mat['wall_s']:.2f} s "
                  f"(prepare {prep['wall_s']:.2f} s); numpy per pair "
                  + ", ".join(f"{1e6 * ref[t]['pair_wall_s']:.0f} us ({t} thr)"
                              for t in thread_counts), flush=True)
        log.append(rnd)
    ours.close()
    theirs.close()

    results = []
    for m in args.metric:
        n = n_of[m]
        n_pairs = n * (n - 1) // 2
        rows = [rnd[m] for rnd in log]
        ours_of = {k: median([x["rnnatlas_matrix"][k] for x in rows]) for k in ("wall_s", "cpu_s")}
        prep_of = {k: median([x["rnnatlas_prepare"][k] for x in rows]) for k in ("wall_s", "cpu_s")}
        numpy = {}
        for t in thread_counts:
            v = {k: median([x["numpy"][t][k] for x in rows])
                 for k in ("prepare_wall_s", "pair_wall_s", "prepare_cpu_s", "pair_cpu_s")}
            v["total_wall_s"] = n * v["prepare_wall_s"] + n_pairs * v["pair_wall_s"]
            v["total_cpu_s"] = n * v["prepare_cpu_s"] + n_pairs * v["pair_cpu_s"]
            numpy[t] = v
        # numpy on T cores: the T-thread loop, or T processes each doing 1/T of the 1-thread loop.
        one, many = numpy[1]["total_wall_s"], numpy[args.threads]["total_wall_s"]
        if one / args.threads <= many:
            numpy_cores, how = one / args.threads, f"1-thread loop / {args.threads}"
        else:
            numpy_cores, how = many, f"{args.threads} OpenBLAS threads"
        numpy_cpu = min(v["total_cpu_s"] for v in numpy.values())
        # Without reuse: every pair prepares both of its networks (google/svcca's per-pair call).
        np1 = numpy[1]
        naive_cpu = n_pairs * (2 * np1["prepare_cpu_s"] + np1["pair_cpu_s"])
        err = 0.0  # agreement on the sampled pairs, in every round
        for x in rows:
            ref, got = x["numpy"][1]["distances"], x["rnnatlas_matrix"]["sample"]
            err = max(err, max(abs(ref[a][b] - got[a][b]) for a in range(len(ref))
                               for b in range(len(ref))))
        ratios_cpu = [min(x["numpy"][t]["prepare_cpu_s"] * n + x["numpy"][t]["pair_cpu_s"] * n_pairs
                          for t in thread_counts) / x["rnnatlas_matrix"]["cpu_s"] for x in rows]
        results.append({
            "metric": m, "n_networks": n, "n_pairs": n_pairs, "n_sample": len(samples[m]),
            "rnnatlas_wall_s": ours_of["wall_s"], "rnnatlas_cpu_s": ours_of["cpu_s"],
            "rnnatlas_prepare_wall_s": prep_of["wall_s"], "rnnatlas_prepare_cpu_s": prep_of["cpu_s"],
            "rnnatlas_prepare_cpu_ms_per_network": 1e3 * prep_of["cpu_s"] / n,
            "rnnatlas_pair_cpu_us": 1e6 * (ours_of["cpu_s"] - prep_of["cpu_s"]) / n_pairs,
            "rnnatlas_wall_range_s": [min(x["rnnatlas_matrix"]["wall_s"] for x in rows),
                                      max(x["rnnatlas_matrix"]["wall_s"] for x in rows)],
            "numpy": {str(t): v for t, v in numpy.items()},
            "numpy_cores_wall_s": numpy_cores, "numpy_cores_how": how,
            "numpy_cpu_s": numpy_cpu, "numpy_no_reuse_cpu_s": naive_cpu,
            "ratio_cpu": numpy_cpu / ours_of["cpu_s"],
            "ratio_cpu_range": [min(ratios_cpu), max(ratios_cpu)],
            "ratio_wall": numpy_cores / ours_of["wall_s"],
            "ratio_no_reuse_cpu": naive_cpu / ours_of["cpu_s"],
            "max_abs_difference": err,
            "spread": {k: log[-1][m]["rnnatlas_matrix"][k] for k in ("min", "mean", "max")},
        })

    machine["load_average_end"] = os.getloadavg()
    elapsed = time.monotonic() - started
    print()
    for r in results:
        np1 = r["numpy"]["1"]
        lo, hi = r["ratio_cpu_range"]
        print(f"{r['metric']}{' k=' + str(args.k) if r['metric'] == 'svcca' else ' (linear)'}, "
              f"{r['n_networks']} networks ({r['n_pairs']} pairs), {args.threads} threads, "
              f"median of {rounds} rounds:")
        print(f"  rnnatlas  wall {fmt_time(r['rnnatlas_wall_s'])}, CPU {fmt_time(r['rnnatlas_cpu_s'])}"
              f" = {r['rnnatlas_prepare_cpu_ms_per_network']:.1f} ms per network + "
              f"{r['rnnatlas_pair_cpu_us']:.1f} us per pair")
        print(f"  numpy     CPU {fmt_time(r['numpy_cpu_s'])} = {1e3 * np1['prepare_cpu_s']:.1f} ms "
              f"per network + {1e6 * np1['pair_cpu_s']:.1f} us per pair (1 thread, extrapolated); "
              f"wall on {args.threads} cores {fmt_time(r['numpy_cores_wall_s'])} "
              f"({r['numpy_cores_how']})")
        print(f"  ratio     CPU {r['ratio_cpu']:.2f}x (rounds {lo:.2f}-{hi:.2f}), wall "
              f"{r['ratio_wall']:.2f}x; against numpy without reuse (each pair prepares both "
              f"networks): {r['ratio_no_reuse_cpu']:.0f}x")
        print(f"  agreement max |d_numpy - d_rnnatlas| = {r['max_abs_difference']:.1e} over "
              f"{r['n_sample'] * (r['n_sample'] - 1) // 2} sampled pairs; distances "
              f"{r['spread']['min']:.3f} .. {r['spread']['max']:.3f}")
    print(f"load average {machine['load_average_start'][0]:.2f} at start, "
          f"{machine['load_average_end'][0]:.2f} at end; {elapsed:.0f} s")
    if any(r["max_abs_difference"] > 1e-6 for r in results):
        print("warning: rnnatlas and numpy disagree by more than 1e-6", file=sys.stderr)

    if args.json:
        report = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "config": {"n_samples": info["n_samples"], "n_units": info["n_units"],
                       "threads": args.threads, "k": args.k, "numpy_svd": args.svd,
                       "rounds": rounds, "sample": n_sample, "worker": str(worker_bin)},
            "machine": machine, "rnnatlas": info, "numpy": np_info,
            "results": results, "rounds": log, "elapsed_s": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")
    if any(r["max_abs_difference"] > 1e-6 for r in results):
        sys.exit(1)


if __name__ == "__main__":
    run_main(main)
