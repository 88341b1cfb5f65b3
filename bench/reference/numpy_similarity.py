#!/usr/bin/python3
"""SVCCA and linear CKA between networks in numpy: the reference of run_similarity_bench.py.

The same definitions as rnnatlas (include/rnnatlas/similarity/metrics.h), written the way a
careful numpy user would: each network is prepared once (centring; for SVCCA its top-k principal
directions), then a loop over pairs does the small per-pair work.

- SVCCA (Raghu et al. 2017): centre X [n_samples, n_units], keep its top-k left singular vectors
  U_k (or the fewest reaching a variance fraction), then CCA between the reduced sides. CCA is
  invariant to invertible maps of either side, so the canonical correlations of X_c V_k and
  Y_c V_k are the singular values of U_kx^T U_ky; distance = 1 - mean rho, clipped to [0, 1].
  The directions come from np.linalg.svd (`--svd svd`, LAPACK gesdd) or from the eigenvectors of
  X_c^T X_c (`--svd eigh`, one GEMM plus a [p, p] eigenproblem: what rnnatlas does, and 3-4x
  faster in numpy too).
- Linear CKA (Kornblith et al. 2019, feature space): ||X_c^T Y_c||_F^2 / (||X_c^T X_c||_F
  ||Y_c^T Y_c||_F); distance = 1 - CKA.

Used as a worker by bench/run_similarity_bench.py (`--serve`: one JSON request per stdin line,
one JSON reply per stdout line), or alone on a .npy file of activities [m, n_samples, n_units]:
  /usr/bin/python3 bench/reference/numpy_similarity.py --npy sample.npy --metric svcca --k 10
"""

import argparse
import json
import sys
import time

import numpy as np

try:
    import threadpoolctl
except ImportError:  # the driver reports it; timing works without it (threads then fixed)
    threadpoolctl = None


# --- the metrics -------------------------------------------------------------------------------

def centre(x):
    """float64 copy of x [n_samples, n_units] with centred columns."""
    x = np.asarray(x, dtype=np.float64)
    return x - x.mean(axis=0)


def svcca_prepare(x, k=10, variance_fraction=0.0, svd="eigh"):
    """The orthonormal basis U_k [n_samples, k] of the top principal directions of x."""
    xc = centre(x)
    if svd == "svd":
        u, s, _ = np.linalg.svd(xc, full_matrices=False)
    else:
        evals, v = np.linalg.eigh(xc.T @ xc)  # ascending
        s = np.sqrt(np.maximum(evals[::-1], 0.0))
        v = v[:, ::-1]
        u = None
    if variance_fraction > 0:
        var = s ** 2
        k = int(np.searchsorted(np.cumsum(var), variance_fraction * var.sum() * (1 - 1e-12)) + 1)
    if u is not None:
        return np.ascontiguousarray(u[:, :k])
    return xc @ (v[:, :k] / s[:k])


def svcca_distance(ux, uy):
    """1 - mean canonical correlation of the two reduced sides, from their bases."""
    rho = np.linalg.svd(ux.T @ uy, compute_uv=False)
    return min(max(1.0 - float(np.clip(rho, 0.0, 1.0).mean()), 0.0), 1.0)


def cka_prepare(x):
    """(X_c [n_samples, n_units], ||X_c^T X_c||_F)."""
    xc = centre(x)
    return xc, float(np.linalg.norm(xc.T @ xc))


def cka_distance(px, py):
    (xc, sx), (yc, sy) = px, py
    return 1.0 - float(np.linalg.norm(xc.T @ yc) ** 2) / (sx * sy)


METRICS = {
    "svcca": (lambda x, o: svcca_prepare(x, o.get("k", 10), o.get("variance_fraction", 0.0),
                                         o.get("svd", "eigh")), svcca_distance),
    "cka": (lambda x, o: cka_prepare(x), cka_distance),
}


# --- timing ------------------------------------------------------------------------------------

def threadpool_info():
    if threadpoolctl is None:
        return []
    return [{k: p.get(k) for k in ("internal_api", "filepath", "version", "num_threads",
                                   "threading_layer", "architecture")}
            for p in threadpoolctl.threadpool_info()]


def limit_threads(n):
    if threadpoolctl is None:
        return None
    return threadpoolctl.threadpool_limits(limits=n)


def time_sample(activities, metric, threads, options):
    """Prepares each of the m networks once, then computes all m (m - 1) / 2 pairs among them;
    returns the distances [m, m] and the wall / CPU seconds of both phases."""
    prepare, distance = METRICS[metric]
    m = len(activities)
    limiter = limit_threads(threads)
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        prepared = [prepare(activities[i], options) for i in range(m)]
        w1, c1 = time.perf_counter(), time.process_time()
        d = np.zeros((m, m))
        for i in range(m):
            for j in range(i + 1, m):
                d[i, j] = d[j, i] = distance(prepared[i], prepared[j])
        w2, c2 = time.perf_counter(), time.process_time()
    finally:
        if limiter is not None:
            limiter.unregister()
    n_pairs = m * (m - 1) // 2
    return {
        "metric": metric, "threads": threads, "n_networks": m, "n_pairs": n_pairs,
        "prepare_wall_s": (w1 - w0) / m, "prepare_cpu_s": (c1 - c0) / m,
        "pair_wall_s": (w2 - w1) / n_pairs, "pair_cpu_s": (c2 - c1) / n_pairs,
        "distances": d.tolist(),
    }


def load(path):
    """Activities [m, n_samples, n_units] float32, memory-mapped: each network is read (and made
    float64) inside the timed preparation, as rnnatlas reads its own copy."""
    return np.load(path, mmap_mode="r")


def serve():
    """One JSON request per stdin line, one JSON reply per stdout line."""
    cache = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            cmd = request["cmd"]
            if cmd == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return
            if cmd == "info":
                reply = {"numpy": np.__version__, "threadpools": threadpool_info()}
            elif cmd == "time":
                path = request["path"]
                if path not in cache:
                    cache.clear()
                    cache[path] = load(path)
                xs = cache[path]
                # Warm-up: page the file in and let OpenBLAS start its threads.
                time_sample(xs[:2], request["metric"], request["threads"], request)
                reply = time_sample(xs, request["metric"], request["threads"], request)
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception as e:  # reported to the driver, which stops
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--serve", action="store_true", help="worker mode for the driver")
    p.add_argument("--npy", help="activities [m, n_samples, n_units] (.npy)")
    p.add_argument("--metric", choices=sorted(METRICS), default="svcca")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--variance-fraction", type=float, default=0.0)
    p.add_argument("--svd", choices=("eigh", "svd"), default="eigh")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if args.serve:
        serve()
        return
    if not args.npy:
        p.error("--npy PATH or --serve is required")
    r = time_sample(load(args.npy), args.metric, args.threads,
                    {"k": args.k, "variance_fraction": args.variance_fraction, "svd": args.svd})
    print(f"{args.metric}: {r['n_networks']} networks, prepare {1e3 * r['prepare_wall_s']:.2f} ms "
          f"per network, {1e6 * r['pair_wall_s']:.1f} us per pair (wall, {args.threads} thread)")


if __name__ == "__main__":
    main()
