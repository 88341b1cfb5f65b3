#!/usr/bin/python3
"""PyTorch reference for bench/micro/fixed_point_benchmark.cc: a FixedPointFinder-style search.

The fixed-point search of Golub & Sussillo's FixedPointFinder (github mattgolub/fixed-point-finder,
"joint" method, its default hyperparameters), written here in PyTorch, float64, on one thread:

  x      all initial states, one [K, n_state] leaf tensor (every candidate in one batch)
  q_i    1/2 ||F(x_i, u) - x_i||^2, F one step of the GRU (nn.GRUCell with the network's weights)
  loss   mean_i q_i; its gradient by torch.autograd
  step   global-norm clipping of the gradient at the adaptive clip value (AdaptiveGradNormClip:
         95th percentile of the last 128 gradient norms, 1e12 at first), then Adam (betas 0.9,
         0.999, epsilon 0.01; torch.optim.Adam, which adds epsilon to the bias-corrected root of
         v where TensorFlow's AdamOptimizer adds it to the uncorrected one) at the adaptive
         learning rate
  rate   AdaptiveLearningRate on the mean q: initial 1.0; x 0.95 when the newest mean q is worse
         than each of the 5 before it, x 1/0.95 when the last 5 steps all improved it, at most
         one change per 5 steps
  stop   when every candidate has q < tol_q (1e-12) or |q - q_prev| < tol_dq (1e-20) x rate, or
         after max_iters (5000) iterations
  then   FixedPointFinder's post-processing: distinct points (tol_unique 1e-3, the lower q kept)
         and distance outliers (farther than 10x the mean distance of the initial states to their
         centroid)

The state of each iteration's q is the one before that iteration's step (as in FixedPointFinder,
which evaluates q and applies the step in one session call). The search records, per candidate,
when q first fell below tol_q (CPU and wall seconds since the start), so the driver can report the
time to q < 1e-12 of any set of candidates, not only the time to FixedPointFinder's own stop.

Run directly on a network file and an initial-state file (bench/run_fixed_point_bench.py writes
both), or as the driver's worker with --serve: one JSON command per line on stdin, one JSON line
on stdout.

Commands of --serve:
  {"cmd": "info"}                                       torch/numpy/OpenBLAS configuration
  {"cmd": "load", "network": P, "initial_states": P}    reads the GRU and the initial states
  {"cmd": "search", "max_iters": 5000, "n_init": K, "out": P (optional)}
                                                        one timed search; writes the candidates'
                                                        final states and q to P (.npz)
  {"cmd": "quit"}

Must run under Debian's /usr/bin/python3 (torch 1.13, numpy, h5py, threadpoolctl).
"""

import argparse
import json
import os
import sys
import time

# Everything must see one thread before numpy / torch load OpenBLAS and OpenMP.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

# FixedPointFinder's defaults (FixedPointFinderBase._default_hps, AdaptiveLearningRate.default_hps,
# AdaptiveGradNormClip.default_hps).
TOL_Q = 1e-12
TOL_DQ = 1e-20
MAX_ITERS = 5000
ADAM_EPSILON = 0.01
TOL_UNIQUE = 1e-3
OUTLIER_DISTANCE_SCALE = 10.0


class AdaptiveLearningRate:
    """FixedPointFinder's learning-rate schedule (no warm-up): after each step, decrease when the
    newest loss is worse than each of the previous n, else increase when the last n steps each
    improved the loss; no change within n steps of the last one."""

    def __init__(self, initial_rate=1.0, n_steps=5, decrease_factor=0.95,
                 increase_factor=1.0 / 0.95):
        self.rate = initial_rate
        self.n = n_steps
        self.decrease_factor = decrease_factor
        self.increase_factor = increase_factor
        self.step = 0
        self.step_last_change = 0  # the first call (step 0) is the end of the (empty) warm-up
        self.losses = []

    def update(self, loss):
        self.losses.append(loss)
        if self.step > 0 and self.step >= self.step_last_change + self.n:
            window = self.losses[-(self.n + 1):]
            if all(window[-1] > w for w in window[:-1]):
                self.rate *= self.decrease_factor
                self.step_last_change = self.step
            elif all(b < a for a, b in zip(window[:-1], window[1:])):
                self.rate *= self.increase_factor
                self.step_last_change = self.step
        self.step += 1


class AdaptiveGradNormClip:
    """Clip value = the 95th percentile of the last 128 global gradient norms (1e12 at first)."""

    def __init__(self, window=128, percentile=95.0, initial=1e12, maximum=1e12):
        self.window, self.percentile, self.maximum = window, percentile, maximum
        self.norms = []
        self.clip = initial
        self.step = 0

    def update(self, norm):
        if self.step < self.window:
            self.norms.append(norm)
        else:
            self.norms[self.step % self.window] = norm
        self.clip = min(float(np.percentile(self.norms, self.percentile)), self.maximum)
        self.step += 1


def load_gru(path):
    """nn.GRUCell (float64) with the weights of an rnnatlas network file; the zero input."""
    with h5py.File(path, "r") as f:
        model = f["model"]
        cell = model.attrs["cell"]
        if isinstance(cell, bytes):
            cell = cell.decode()
        if cell != "gru":
            raise ValueError(f"{path}: cell is {cell!r}, the reference implements 'gru' only")
        n_input, n_hidden = int(model.attrs["n_input"]), int(model.attrs["n_hidden"])
        params = {name: np.asarray(model["parameters"][name]) for name in
                  ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")}
    gru = torch.nn.GRUCell(n_input, n_hidden).double()
    with torch.no_grad():
        gru.weight_ih.copy_(torch.from_numpy(params["weight_ih_l0"]))
        gru.weight_hh.copy_(torch.from_numpy(params["weight_hh_l0"]))
        gru.bias_ih.copy_(torch.from_numpy(params["bias_ih_l0"]))
        gru.bias_hh.copy_(torch.from_numpy(params["bias_hh_l0"]))
    for p in gru.parameters():
        p.requires_grad_(False)
    return gru


def load_initial_states(path):
    """states [K, n_state] and the constant input [n_input] of an initial-state file."""
    with h5py.File(path, "r") as f:
        return np.asarray(f["states"], dtype=np.float64), np.asarray(f["input"], dtype=np.float64)


def speed(gru, x, u):
    """q [K] at states x [K, n_state] for the input rows u [K, n_input], without gradients."""
    with torch.no_grad():
        return 0.5 * torch.sum(torch.square(gru(u, x) - x), dim=1)


def search(gru, initial_states, input_, max_iters=MAX_ITERS, tol_q=TOL_Q, tol_dq=TOL_DQ):
    """FixedPointFinder's joint Adam search from initial_states [K, n_state]. Returns a dict with
    the final states x [K, n_state], their q [K] (recomputed after the last step), the iterations,
    the CPU and wall seconds of the whole search, and first_below_cpu/_wall [K]: seconds since the
    start until the candidate's q first fell below tol_q (inf if never)."""
    K = initial_states.shape[0]
    u = torch.from_numpy(input_).reshape(1, -1).expand(K, -1).contiguous()
    x = torch.from_numpy(initial_states.copy()).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=1.0, betas=(0.9, 0.999), eps=ADAM_EPSILON)
    rate = AdaptiveLearningRate()
    clip = AdaptiveGradNormClip()
    first_cpu = np.full(K, np.inf)
    first_wall = np.full(K, np.inf)
    below = np.zeros(K, dtype=bool)
    q_prev = np.full(K, np.nan)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    iteration = 1
    while True:
        lr = rate.rate
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        q = 0.5 * torch.sum(torch.square(gru(u, x) - x), dim=1)
        q_mean = torch.mean(q)
        q_mean.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_([x], clip.clip).item()
        optimizer.step()

        q_np = q.detach().numpy()
        newly = ~below & (q_np < tol_q)
        if newly.any():
            first_cpu[newly] = time.process_time() - cpu0
            first_wall[newly] = time.perf_counter() - wall0
            below |= newly
        dq = np.abs(q_np - q_prev)
        if iteration > 1 and np.all((dq < tol_dq * lr) | (q_np < tol_q)):
            break
        if iteration + 1 > max_iters:
            break
        q_prev = q_np
        rate.update(float(q_mean.item()))
        clip.update(grad_norm)
        iteration += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    x_final = x.detach().clone()
    q_final = speed(gru, x_final, u).numpy()
    return {"states": x_final.numpy(), "q": q_final, "n_iters": iteration, "cpu_s": cpu,
            "wall_s": wall, "first_below_cpu": first_cpu, "first_below_wall": first_wall,
            "final_rate": rate.rate}


def unique_points(states, q, initial_states, tol_unique=TOL_UNIQUE,
                  outlier_distance_scale=OUTLIER_DISTANCE_SCALE):
    """FixedPointFinder's post-processing: in ascending q, a point within tol_unique of a kept one
    joins it; then points farther than outlier_distance_scale x the mean distance of the initial
    states to their centroid are dropped. Returns the indices kept."""
    kept = []
    for i in np.argsort(q, kind="stable"):
        if not any(np.linalg.norm(states[i] - states[k]) <= tol_unique for k in kept):
            kept.append(i)
    centroid = initial_states.mean(axis=0)
    limit = outlier_distance_scale * np.linalg.norm(initial_states - centroid, axis=1).mean()
    return np.array([k for k in kept if np.linalg.norm(states[k] - centroid) <= limit], dtype=int)


def info():
    try:
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
    except ImportError:
        pools = []
    return {"torch": torch.__version__, "numpy": np.__version__,
            "torch_threads": torch.get_num_threads(), "threadpools": pools,
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}


class Server:
    def __init__(self):
        self.gru = None
        self.states = None
        self.input = None

    def handle(self, cmd):
        name = cmd.get("cmd")
        if name == "info":
            return info()
        if name == "load":
            self.gru = load_gru(cmd["network"])
            self.states, self.input = load_initial_states(cmd["initial_states"])
            if self.states.shape[1] != self.gru.hidden_size:
                raise ValueError(f"initial states have {self.states.shape[1]} columns, the "
                                 f"network has n_hidden = {self.gru.hidden_size}")
            # Warm-up: the first autograd calls allocate and initialise.
            search(self.gru, self.states[:8], self.input, max_iters=5)
            return {"n_init": int(self.states.shape[0]), "n_hidden": self.gru.hidden_size}
        if name == "search":
            if self.gru is None:
                raise ValueError("search before load")
            n_init = int(cmd.get("n_init", self.states.shape[0]))
            init = self.states[:n_init]
            r = search(self.gru, init, self.input, max_iters=int(cmd.get("max_iters", MAX_ITERS)))
            if cmd.get("out"):
                np.savez(cmd["out"], states=r["states"], q=r["q"],
                         first_below_cpu=r["first_below_cpu"],
                         first_below_wall=r["first_below_wall"])
            below = np.isfinite(r["first_below_cpu"])
            return {"cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "n_iters": r["n_iters"],
                    "n_final_below_tol_q": int(np.sum(r["q"] < TOL_Q)),
                    "n_ever_below_tol_q": int(below.sum()),
                    "cpu_s_all_ever_below": float(r["first_below_cpu"][below].max())
                    if below.any() else None,
                    "final_rate": r["final_rate"]}
        if name == "quit":
            return None
        raise ValueError(f"unknown command {name!r}")

    def serve(self):
        for line in sys.stdin:
            try:
                reply = self.handle(json.loads(line))
            except Exception as e:  # noqa: BLE001 -- reported to the driver, which stops
                reply = {"error": f"{type(e).__name__}: {e}"}
            if reply is None:
                break
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--serve", action="store_true", help="JSON commands on stdin (for the driver)")
    p.add_argument("--network", help="rnnatlas network file (GRU)")
    p.add_argument("--initial-states", help="initial-state file (HDF5: states [K, n], input [m])")
    p.add_argument("--n-init", type=int, help="use the first N initial states")
    p.add_argument("--max-iters", type=int, default=MAX_ITERS)
    args = p.parse_args()
    if args.serve:
        Server().serve()
        return
    if not args.network or not args.initial_states:
        p.error("--network and --initial-states are required (or --serve)")
    gru = load_gru(args.network)
    states, input_ = load_initial_states(args.initial_states)
    if args.n_init:
        states = states[:args.n_init]
    r = search(gru, states, input_, max_iters=args.max_iters)
    kept = unique_points(r["states"], r["q"], states)
    converged = kept[r["q"][kept] < TOL_Q]
    below = np.isfinite(r["first_below_cpu"])
    print(f"{states.shape[0]} candidates, {r['n_iters']} iterations, {r['cpu_s']:.2f} s CPU "
          f"({r['wall_s']:.2f} s wall); {int(np.sum(r['q'] < TOL_Q))} end below q = {TOL_Q:g}, "
          f"{int(below.sum())} were below it at some iteration (the last first at "
          f"{r['first_below_cpu'][below].max() if below.any() else float('nan'):.2f} s CPU); "
          f"{len(kept)} distinct points, {len(converged)} with q < {TOL_Q:g}")


if __name__ == "__main__":
    main()
