#!/usr/bin/python3
"""PyTorch reference for bench/run_population_bench.py: train networks of a population as
`rnnatlas sweep` does, one network per process.

One network: the recurrent layer of bench/reference/torch_training.py (nn.RNN / nn.GRU / nn.LSTM,
or its UGRNN loop) with an nn.Linear readout on the 3-bit flip-flop, float32, one thread; a fixed
number of Adam updates (mean squared error, global gradient-norm clipping), then what the sweep
does after training: a held-out evaluation (normalized MSE on n_eval_batch fresh trials) and
saving the weights, the loss history and the metrics to a file (torch.save).

  torch_population.py --network '{"arch": "gru", "n_hidden": 64, "seed": 1, ...}' --out F.pt

trains one network and prints one JSON line of timings, each measured from the start of the
interpreter (so they include `import torch`):
  startup_s  interpreter start and imports, until the network is built
  train_s    the training iterations (minibatches drawn before, see below)
  eval_s, save_s, total_s (process CPU time: cpu_s)

The reference is measured at its best: 8 minibatches are drawn before the timed loop and cycled
(the sweep draws fresh trials every iteration), one thread (torch.set_num_threads(1),
OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = 1). With --serve it reads one network (JSON) per line on
stdin and answers one JSON line each, so a long-lived process trains many networks (the driver's
"pool" variant: what a torch user with a job queue would do, without the per-network start).

Must run under Debian's /usr/bin/python3 (torch 1.13, numpy, threadpoolctl).
"""

import time

T0 = time.perf_counter()  # before any import: startup_s includes the imports

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch_training import flip_flop, make_recurrent  # noqa: E402  (sets one thread too)

torch.set_num_threads(1)

N_DATA = 8  # minibatches drawn before the timed loop and cycled


def train_network(spec, out_path):
    """Trains the network `spec` (dict: arch, n_hidden, seed, n_iterations, n_batch, n_time,
    n_bits, learning_rate, clip_norm, n_eval_batch, impl) and saves it to out_path.
    Returns the timings (seconds since `start`) and the results."""
    start = time.perf_counter()
    c0 = time.process_time()
    n_bits = spec.get("n_bits", 3)
    torch.manual_seed(spec["seed"])
    recurrent = make_recurrent(spec["arch"], n_bits, spec["n_hidden"], spec.get("impl", "eager"))
    readout = torch.nn.Linear(spec["n_hidden"], n_bits)
    params = list(recurrent.parameters()) + list(readout.parameters())
    optimizer = torch.optim.Adam(params, lr=spec["learning_rate"], betas=(0.9, 0.999), eps=1e-8)
    rng = np.random.default_rng(spec["seed"])
    data = [flip_flop(spec["n_batch"], spec["n_time"], n_bits, rng) for _ in range(N_DATA)]
    built = time.perf_counter()

    losses = np.empty(spec["n_iterations"])
    for i in range(spec["n_iterations"]):
        x, y = data[i % N_DATA]
        optimizer.zero_grad(set_to_none=True)
        H, _ = recurrent(x)
        loss = torch.nn.functional.mse_loss(readout(H), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, spec["clip_norm"])
        optimizer.step()
        losses[i] = loss.item()  # the sweep records every loss too
    trained = time.perf_counter()

    with torch.no_grad():  # held-out evaluation, as the sweep's
        x, y = flip_flop(spec["n_eval_batch"], spec["n_time"], n_bits,
                         np.random.default_rng(20190719))
        H, _ = recurrent(x)
        mse = float(torch.nn.functional.mse_loss(readout(H), y))
        nmse = mse / float(y.var(unbiased=False))
    evaluated = time.perf_counter()

    torch.save({"spec": spec, "recurrent": recurrent.state_dict(), "readout": readout.state_dict(),
                "loss_history": torch.from_numpy(losses), "mse": mse, "normalized_mse": nmse},
               out_path)
    saved = time.perf_counter()
    return {"build_s": built - start, "train_s": trained - built, "eval_s": evaluated - trained,
            "save_s": saved - evaluated, "network_s": saved - start,
            "network_cpu_s": time.process_time() - c0, "final_loss": float(losses[-1]),
            "normalized_mse": nmse}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", help="the network to train, as JSON")
    parser.add_argument("--out", help="where to save it (torch.save)")
    parser.add_argument("--serve", action="store_true",
                        help="read {'network': ..., 'out': ...} JSON lines on stdin, answer each")
    args = parser.parse_args()
    startup = time.perf_counter() - T0
    if args.serve:
        print(json.dumps({"ready": True, "startup_s": startup}), flush=True)
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd.get("cmd") == "quit":
                break
            try:
                reply = train_network(cmd["network"], cmd["out"])
            except Exception as e:  # report, keep serving
                reply = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(reply), flush=True)
        return
    if not args.network or not args.out:
        parser.error("--network and --out are required (or --serve)")
    reply = train_network(json.loads(args.network), args.out)
    reply.update(startup_s=startup, total_s=time.perf_counter() - T0, cpu_s=time.process_time())
    print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
