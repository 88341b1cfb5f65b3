#!/usr/bin/python3
"""PyTorch reference for bench/micro/training_benchmark.cc.

The same training iteration as rnnatlas (3-bit flip-flop, float32, one thread): a recurrent layer
(nn.RNN / nn.GRU / nn.LSTM with batch_first, or the update-gate RNN written as a loop of torch ops
over time), an nn.Linear readout, mean squared error, backward, clip_grad_norm_ and Adam. The
reference is measured at its best: inputs and targets are generated once, before timing, and
cycled (rnnatlas draws fresh trials every iteration, inside its timed loop).

Run it directly for a quick table, or let bench/run_training_bench.py drive it: with --serve it
reads one JSON command per line on stdin and answers one JSON line on stdout, so one process
(with its OpenBLAS kernel choice, see OPENBLAS_CORETYPE) serves every round of the comparison.

Commands of --serve:
  {"cmd": "info"}                                   torch/numpy/OpenBLAS configuration
  {"cmd": "sgemm", "n": 2048, "repeats": 5}         best float32 n^3 matmul GFLOP/s (numpy, torch)
  {"cmd": "train", "arch": "gru", "impl": "eager", "min_time": 1.0}
                                                    CPU and wall ms per training iteration
  {"cmd": "quit"}

Must run under Debian's /usr/bin/python3 (it has torch 1.13, numpy and threadpoolctl).
"""

import argparse
import json
import os
import sys
import time

ARCHS = ("vanilla", "ugrnn", "gru", "lstm")
UGRNN_IMPLS = ("eager", "script")
WARMUP_STEPS = 5  # before the first measurement; the TorchScript profiling executor needs > 2

# Everything must see one thread before numpy / torch load OpenBLAS and OpenMP.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def ugrnn_layer(P: torch.Tensor, W_hh: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Update-gate RNN over time. P [T, B, 2N] = W_ih x + bias for every step (gate order g, c);
    W_hh [2N, N]; h [B, N] the initial state. Returns the states H [B, T, N]:
    g = sigmoid(.), c = tanh(.), h' = g * h + (1 - g) * c."""
    W_t = W_hh.t()
    states = []
    # unbind, not P[t]: the backward of unbind writes every step's gradient into one tensor, while
    # that of indexing would allocate and add a zero-filled [T, B, 2N] tensor per step.
    for p_t in P.unbind(0):
        a = torch.addmm(p_t, h, W_t)
        g, c = a.chunk(2, 1)
        g = torch.sigmoid(g)
        c = torch.tanh(c)
        h = c + g * (h - c)  # = g h + (1 - g) c, one multiply fewer
        states.append(h)
    return torch.stack(states, 1)


_ugrnn_layer_script = None


def scripted_ugrnn_layer():
    global _ugrnn_layer_script
    if _ugrnn_layer_script is None:
        _ugrnn_layer_script = torch.jit.script(ugrnn_layer)
    return _ugrnn_layer_script


class Ugrnn(nn.Module):
    """UGRNN (Collins, Sohl-Dickstein & Sussillo 2017) with rnnatlas's parameters: weight_ih_l0
    [2N, I], weight_hh_l0 [2N, N], bias_l0 [2N] (gate bias starting at +1, as rnnatlas)."""

    def __init__(self, n_input, n_hidden, scripted):
        super().__init__()
        bound = 1.0 / n_hidden**0.5
        self.n_hidden = n_hidden
        self.weight_ih_l0 = nn.Parameter(torch.empty(2 * n_hidden, n_input).uniform_(-bound, bound))
        self.weight_hh_l0 = nn.Parameter(
            torch.empty(2 * n_hidden, n_hidden).uniform_(-bound, bound))
        bias = torch.empty(2 * n_hidden).uniform_(-bound, bound)
        bias[:n_hidden] = 1.0
        self.bias_l0 = nn.Parameter(bias)
        self.layer = scripted_ugrnn_layer() if scripted else ugrnn_layer

    def forward(self, x):  # x [B, T, I] -> (H [B, T, N], None)
        # All steps at once, time-major so that each step's slice is contiguous: [T, B, 2N].
        P = torch.nn.functional.linear(x.transpose(0, 1), self.weight_ih_l0, self.bias_l0)
        h0 = x.new_zeros(x.size(0), self.n_hidden)
        return self.layer(P, self.weight_hh_l0, h0), None


def make_recurrent(arch, n_input, n_hidden, impl):
    if arch == "vanilla":
        return nn.RNN(n_input, n_hidden, nonlinearity="tanh", batch_first=True)
    if arch == "gru":
        return nn.GRU(n_input, n_hidden, batch_first=True)
    if arch == "lstm":
        return nn.LSTM(n_input, n_hidden, batch_first=True)
    if arch == "ugrnn":
        return Ugrnn(n_input, n_hidden, scripted=(impl == "script"))
    raise ValueError(f"arch = {arch!r}: must be one of {', '.join(ARCHS)}")


def flip_flop(n_batch, n_time, n_bits, rng, pulse_probability=0.05):
    """Trials of the n-bit flip-flop as rnnatlas draws them (a pulse on every channel at t = 0).
    Returns inputs, targets [B, T, n_bits] float32."""
    u = rng.random((n_batch, n_time, n_bits))
    sign = np.where(rng.random((n_batch, n_time, n_bits)) < 0.5, -1.0, 1.0)
    pulses = np.where(u < pulse_probability, sign, 0.0)
    pulses[:, 0, :] = sign[:, 0, :]
    targets = np.empty_like(pulses)
    state = pulses[:, 0, :].copy()
    for t in range(n_time):
        state = np.where(pulses[:, t, :] != 0, pulses[:, t, :], state)
        targets[:, t, :] = state
    return (torch.from_numpy(pulses.astype(np.float32)),
            torch.from_numpy(targets.astype(np.float32)))


class Trainer:
    """One network and its optimiser; step() is one timed training iteration."""

    def __init__(self, arch, impl="eager", n_hidden=128, n_batch=64, n_time=100, n_bits=3,
                 learning_rate=1e-4, clip_norm=10.0, n_data=8, seed=1):
        torch.manual_seed(seed)
        self.recurrent = make_recurrent(arch, n_bits, n_hidden, impl)
        self.readout = nn.Linear(n_hidden, n_bits)
        self.params = list(self.recurrent.parameters()) + list(self.readout.parameters())
        self.optimizer = torch.optim.Adam(self.params, lr=learning_rate, betas=(0.9, 0.999),
                                          eps=1e-8)
        self.clip_norm = clip_norm
        rng = np.random.default_rng(seed)
        self.data = [flip_flop(n_batch, n_time, n_bits, rng) for _ in range(n_data)]
        self.i = 0
        self.loss = float("nan")

    def step(self):
        x, y = self.data[self.i % len(self.data)]
        self.i += 1
        self.optimizer.zero_grad(set_to_none=True)
        H, _ = self.recurrent(x)
        loss = torch.nn.functional.mse_loss(self.readout(H), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.clip_norm)
        self.optimizer.step()
        return loss

    def warm_up(self, n=WARMUP_STEPS):
        for _ in range(n):
            self.step()


def measure(trainer, min_time, min_iterations=3):
    """Runs whole iterations until min_time CPU seconds have passed (as Google Benchmark does);
    returns CPU and wall milliseconds per iteration."""
    trainer.step()  # untimed: brings this network back into the caches after other work
    c0, w0 = time.process_time(), time.perf_counter()
    n = 0
    while n < min_iterations or time.process_time() - c0 < min_time:
        loss = trainer.step()
        n += 1
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    trainer.loss = float(loss)
    return {"iterations": n, "cpu_ms": 1e3 * cpu / n, "wall_ms": 1e3 * wall / n,
            "loss": trainer.loss}


def sgemm_gflops(n=2048, repeats=5):
    """Best-of-repeats float32 n^3 matrix product rate, GFLOP/s of CPU time (one thread), in numpy
    and torch (both call the process's BLAS)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = {}
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    for name, fn in (("numpy", lambda: a @ b), ("torch", lambda: ta @ tb)):
        fn()
        best = float("inf")
        for _ in range(repeats):
            t = time.process_time()
            fn()
            best = min(best, time.process_time() - t)
        out[name + "_gflops"] = 2.0 * n**3 / best / 1e9
    # The kernel must compute the right thing (a forced OPENBLAS_CORETYPE could be wrong).
    k = 256
    c = a[:k, :k] @ b[:k, :k]
    ref = a[:k, :k].astype(np.float64) @ b[:k, :k].astype(np.float64)
    out["max_rel_error"] = float(np.abs(c - ref).max() / np.abs(ref).max())
    out["n"] = n
    return out


def info():
    import threadpoolctl
    return {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.executable,
        "torch_threads": torch.get_num_threads(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()
        if hasattr(torch.backends, "cpu") else None,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "affinity": sorted(os.sched_getaffinity(0)),
        "threadpools": threadpoolctl.threadpool_info(),
    }


def serve():
    trainers = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["cmd"] == "quit":
                break
            if cmd["cmd"] == "info":
                reply = info()
            elif cmd["cmd"] == "sgemm":
                reply = sgemm_gflops(cmd.get("n", 2048), cmd.get("repeats", 5))
            elif cmd["cmd"] == "train":
                key = (cmd["arch"], cmd.get("impl", "eager"))
                if key not in trainers:
                    trainers[key] = Trainer(*key)
                    trainers[key].warm_up()
                reply = measure(trainers[key], cmd.get("min_time", 1.0))
            else:
                raise ValueError(f"unknown cmd {cmd['cmd']!r}")
        except Exception as e:  # report, keep serving
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help="JSON-lines server for the driver")
    parser.add_argument("--arch", nargs="+", choices=ARCHS, default=list(ARCHS))
    parser.add_argument("--min-time", type=float, default=2.0,
                        help="CPU seconds per measurement (default 2)")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    i = info()
    blas = [p for p in i["threadpools"] if p.get("internal_api") == "openblas"]
    print(f"torch {i['torch']}, {i['torch_threads']} thread(s), BLAS: "
          + (", ".join(f"{p['filepath']} ({p['architecture']})" for p in blas) or "not OpenBLAS"))
    for arch in args.arch:
        for impl in (UGRNN_IMPLS if arch == "ugrnn" else ("eager",)):
            trainer = Trainer(arch, impl)
            trainer.warm_up()
            r = measure(trainer, args.min_time)
            print(f"{arch:8s} {impl:6s} {r['cpu_ms']:8.2f} ms/iter CPU  {r['wall_ms']:8.2f} wall"
                  f"  ({r['iterations']} iterations, loss {r['loss']:.4f})")


if __name__ == "__main__":
    main()
