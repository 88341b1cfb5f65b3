#!/usr/bin/python3
"""Population throughput: `rnnatlas sweep` against PyTorch training the same population, side by
side, in network-iterations per second of wall time.

The population is a small sweep: every architecture (vanilla, UGRNN, GRU, LSTM; tanh) x a few
sizes x a few seeds on the 3-bit flip-flop, a fixed number of Adam updates per network (no early
stopping; divergence, the only early stop, is checked for and reported), so both sides do the same
work. In each of R rounds, for each worker count W (1 and 2):

  rnnatlas  `rnnatlas sweep CONFIG --out DIR -j W -q` into a fresh DIR: the whole command,
            HDF5 network files, held-out evaluation and manifest included (the real throughput).
  torch     bench/reference/torch_population.py, one network per process, W processes at a time
            (a new process starts when one ends): interpreter start, `import torch`, the training,
            a held-out evaluation and torch.save of the weights and loss history, per network.
  pool      torch at its best: W long-lived processes (one import each) that take networks
            from a shared queue; not what "one network per process" means, but it separates the
            per-network start cost from the training speed.

The order of the variants rotates from round to round; each figure is the median over rounds.
Ratios: rnnatlas-2 / torch-2 (the target: >= 3), rnnatlas-2 / rnnatlas-1 (>= 1.8),
torch-2 / torch-1, of wall-time throughput and of CPU-time throughput (getrusage of the
children). "cores" = CPU s / wall s is how much of the machine a run got: on a shared machine
with autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled), every busy session gets an
equal share, so 2 workers can only beat 1 worker when the machine is otherwise idle. To tell the
two apart, the driver samples the sweep's threads (/proc/PID/task/*/schedstat): time on a CPU,
time runnable but waiting for a CPU (the machine), and time blocked (the sweep itself: a lock,
I/O, an idle worker at the end).

See bench/README.md. Run with Debian's /usr/bin/python3 from the repository root:
  /usr/bin/python3 bench/run_population_bench.py --json build/release/population_bench.json
  /usr/bin/python3 bench/run_population_bench.py --quick      # seconds: a smoke test
"""

import argparse
import collections
import csv
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import JsonLinesWorker, blas_env, find_binary, median, run_main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "bench" / "reference" / "torch_population.py"
ARCHS = ("vanilla", "ugrnn", "gru", "lstm")
VARIANTS = ("rnnatlas", "torch", "pool")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def load_average():
    return os.getloadavg()


def autogroup():
    """Whether the kernel shares the CPUs between sessions (autogroups) rather than threads."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return None


# --- the population --------------------------------------------------------------------------

def population(args):
    """The networks, in the sweep's expansion order (cell, n_hidden, then seed)."""
    return [{"arch": arch, "n_hidden": h, "seed": s, "n_iterations": args.n_iterations,
             "n_batch": args.n_batch, "n_time": args.n_time, "n_bits": 3,
             "learning_rate": args.learning_rate, "clip_norm": args.clip_norm,
             "n_eval_batch": args.n_eval_batch, "impl": args.ugrnn_impl if arch == "ugrnn"
             else "eager"}
            for arch in args.arch for h in args.n_hidden for s in range(args.seeds)]


GATES = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}


def most_expensive_first(networks):
    """(index, network) pairs in the order the sweep trains them: by its cost estimate
    (gates * n_hidden * (n_hidden + n_input + 1) * iterations), the largest first, ties in index
    order. It balances the workers: the last networks to start are the cheap ones."""
    def cost(net):
        h = net["n_hidden"]
        return GATES[net["arch"]] * h * (h + net["n_bits"] + 1) * net["n_iterations"]
    return sorted(enumerate(networks), key=lambda item: -cost(item[1]))


def sweep_config(args):
    """The sweep config of the same population (TOML text)."""
    cells = ", ".join(f'"{a}"' for a in args.arch)
    sizes = ", ".join(str(h) for h in args.n_hidden)
    return f"""# written by bench/run_population_bench.py
seed = 0

[task]
name = "flip_flop"
n_bits = 3
n_time = {args.n_time}

[grid]
cell = [{cells}]
activation = "tanh"
n_hidden = [{sizes}]
n_iterations = {args.n_iterations}
n_batch = {args.n_batch}
learning_rate = {args.learning_rate!r}
lr_decay_rate = 1.0
gradient_clip_norm = {args.clip_norm!r}
seeds = {args.seeds}

[evaluation]
n_eval_batch = {args.n_eval_batch}

[keep]
max_normalized_mse = 0.01
"""


# --- the two sides ---------------------------------------------------------------------------

class ThreadSampler:
    """Samples /proc/PID/task/*/schedstat of a running process: per thread, the time on a CPU
    and the time runnable but waiting for one. What is neither is time blocked (a lock, I/O,
    joining): it tells a sweep that cannot use its cores from a machine that will not give them."""

    def __init__(self, pid):
        self.pid, self.threads = pid, {}

    def sample(self):
        now = time.perf_counter()
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return
        for tid in tids:
            try:
                with open(f"/proc/{self.pid}/task/{tid}/schedstat") as f:
                    run_ns, wait_ns, _ = map(int, f.read().split())
            except (OSError, ValueError):
                continue
            t = self.threads.setdefault(tid, {"first": now})
            t.update(run=run_ns / 1e9, wait=wait_ns / 1e9, last=now)

    def summary(self):
        """Sums over the threads: alive (between first and last sample), on_cpu, waiting for a
        CPU, blocked = alive - on_cpu - waiting; the sampling period blurs each by ~0.1 s."""
        alive = sum(t["last"] - t["first"] for t in self.threads.values())
        on_cpu = sum(t["run"] for t in self.threads.values())
        waiting = sum(t["wait"] for t in self.threads.values())
        return {"n_threads": len(self.threads), "alive_s": alive, "on_cpu_s": on_cpu,
                "waiting_for_cpu_s": waiting, "blocked_s": max(0.0, alive - on_cpu - waiting)}


def run_rnnatlas(exe, config, workdir, n_workers, period=0.1):
    out = workdir / f"sweep-{n_workers}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(exe), "sweep", str(config), "--out", str(out), "-j", str(n_workers), "-q"]
    with tempfile.TemporaryFile(mode="w+") as stderr:
        c0, w0 = children_cpu_seconds(), time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        sampler = ThreadSampler(proc.pid)
        while proc.poll() is None:
            sampler.sample()
            time.sleep(period)
        wall, cpu = time.perf_counter() - w0, children_cpu_seconds() - c0
        if proc.returncode != 0:
            stderr.seek(0)
            sys.exit(f"error: {' '.join(cmd)} failed (exit {proc.returncode}):\n"
                     f"{stderr.read()[-2000:]}")
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    iterations = sum(int(r["n_iterations_done"]) for r in rows)
    diverged = [r["id"] for r in rows if r["outcome"] != "completed"]
    train_s = sum(float(r["seconds"]) for r in rows)  # the training loops alone
    shutil.rmtree(out, ignore_errors=True)
    return {"wall_s": wall, "cpu_s": cpu, "network_iterations": iterations,
            "n_networks": len(rows), "not_completed": diverged, "train_loop_s": train_s,
            "threads": sampler.summary()}


def run_torch_processes(python, networks, workdir, n_workers, env):
    """One process per network, n_workers at a time."""
    out = workdir / f"torch-{n_workers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    queue = collections.deque(most_expensive_first(networks))
    running, replies = {}, []
    c0, w0 = children_cpu_seconds(), time.perf_counter()
    while queue or running:
        while queue and len(running) < n_workers:
            i, net = queue.popleft()
            cmd = [python, str(REFERENCE), "--network", json.dumps(net),
                   "--out", str(out / f"{i}.pt")]
            running[i] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, env=env)
        pid, status = os.wait()  # whichever finishes first
        i = next(k for k, p in running.items() if p.pid == pid)
        p = running.pop(i)
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped: communicate() reads the pipes
        stdout, stderr = p.communicate()
        if p.returncode != 0 or not stdout.strip():
            sys.exit(f"error: torch network {networks[i]} failed (exit {p.returncode}):\n"
                     f"{stderr[-2000:]}")
        replies.append(json.loads(stdout))
    wall, cpu = time.perf_counter() - w0, children_cpu_seconds() - c0
    shutil.rmtree(out, ignore_errors=True)
    return summarize_torch(replies, networks, wall, cpu)


def run_torch_pool(python, networks, workdir, n_workers, env):
    """n_workers long-lived processes taking networks from a queue; their start is timed too."""
    import selectors
    out = workdir / f"pool-{n_workers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    queue = collections.deque(most_expensive_first(networks))
    c0, w0 = children_cpu_seconds(), time.perf_counter()
    workers = [JsonLinesWorker([python, REFERENCE, "--serve"], "a torch pool worker", env)
               for _ in range(min(n_workers, len(networks)))]
    ready = [w.receive() for w in workers]
    sel = selectors.DefaultSelector()
    replies = []
    for w in workers:
        if queue:
            i, net = queue.popleft()
            w.send(json.dumps({"network": net, "out": str(out / f"{i}.pt")}))
            sel.register(w.proc.stdout, selectors.EVENT_READ, w)
    while len(replies) < len(networks):
        for key, _ in sel.select():
            w = key.data
            replies.append(w.receive())
            if queue:
                i, net = queue.popleft()
                w.send(json.dumps({"network": net, "out": str(out / f"{i}.pt")}))
            else:
                sel.unregister(w.proc.stdout)
    for w in workers:
        w.close()
    wall, cpu = time.perf_counter() - w0, children_cpu_seconds() - c0
    shutil.rmtree(out, ignore_errors=True)
    result = summarize_torch(replies, networks, wall, cpu)
    result["process_startup_s"] = statistics.mean(r["startup_s"] for r in ready)
    return result


def summarize_torch(replies, networks, wall, cpu):
    mean = lambda key: statistics.mean(r[key] for r in replies if key in r)  # noqa: E731
    result = {"wall_s": wall, "cpu_s": cpu,
              "network_iterations": sum(n["n_iterations"] for n in networks),
              "n_networks": len(networks), "train_loop_s": sum(r["train_s"] for r in replies),
              "per_network_mean_s": {k: mean(k) for k in
                                     ("startup_s", "build_s", "train_s", "eval_s", "save_s")
                                     if any(k in r for r in replies)}}
    return result


def torch_info(python, env):
    code = ("import json, sys; sys.path.insert(0, %r); import torch_training as t; "
            "print(json.dumps(t.info()))" % str(REFERENCE.parent))
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"error: cannot start torch ({python}):\n{out.stderr[-2000:]}")
    info = json.loads(out.stdout)
    pools = [p for p in info["threadpools"] if p.get("internal_api") == "openblas"]
    info["openblas"] = ({"filepath": pools[0]["filepath"], "architecture":
                         pools[0].get("architecture"), "version": pools[0].get("version")}
                        if pools else None)
    return info


# --- report ----------------------------------------------------------------------------------

def summarize(rounds, variants, workers):
    """Median over rounds of every (variant, W): throughput and its parts."""
    out = {}
    for v in variants:
        for w in workers:
            runs = [r[v][str(w)] for r in rounds]
            out[f"{v}-{w}"] = {
                "network_iterations": runs[0]["network_iterations"],
                "wall_s": median([x["wall_s"] for x in runs]),
                "cpu_s": median([x["cpu_s"] for x in runs]),
                "throughput": median([x["network_iterations"] / x["wall_s"] for x in runs]),
                "throughput_cpu": median([x["network_iterations"] / x["cpu_s"] for x in runs]),
                "throughput_range": [min(x["network_iterations"] / x["wall_s"] for x in runs),
                                     max(x["network_iterations"] / x["wall_s"] for x in runs)],
                "train_loop_s": median([x["train_loop_s"] for x in runs]),
            }
            if "threads" in runs[0]:
                out[f"{v}-{w}"]["threads"] = {k: median([x["threads"][k] for x in runs])
                                              for k in runs[0]["threads"]}
            if "process_startup_s" in runs[0]:
                out[f"{v}-{w}"]["process_startup_s"] = median(
                    [x["process_startup_s"] for x in runs])
            if "per_network_mean_s" in runs[0]:
                out[f"{v}-{w}"]["per_network_mean_s"] = {
                    k: median([x["per_network_mean_s"][k] for x in runs])
                    for k in runs[0]["per_network_mean_s"]}
    return out


def ratios(summary, rounds, variants, workers):
    """The report's ratios of medians, and their range over rounds (same-round pairs)."""
    pairs = []
    if "torch" in variants:
        pairs += [(f"rnnatlas-{w}", f"torch-{w}") for w in workers]
    if "pool" in variants:
        pairs += [(f"rnnatlas-{w}", f"pool-{w}") for w in workers]
    if len(workers) > 1:
        lo, hi = min(workers), max(workers)
        pairs += [(f"{v}-{hi}", f"{v}-{lo}") for v in variants]
    out = {}
    for a, b in pairs:
        per_round = []
        for r in rounds:
            (va, wa), (vb, wb) = a.rsplit("-", 1), b.rsplit("-", 1)
            ra, rb = r[va][wa], r[vb][wb]
            per_round.append((ra["network_iterations"] / ra["wall_s"]) /
                             (rb["network_iterations"] / rb["wall_s"]))
        out[f"{a} / {b}"] = {
            "ratio": summary[a]["throughput"] / summary[b]["throughput"],
            "range": [min(per_round), max(per_round)],
            "ratio_cpu": summary[a]["throughput_cpu"] / summary[b]["throughput_cpu"]}
    return out


def format_report(summary, ratio_table):
    head = (f"{'variant':12s} {'net-iter/s':>10s} {'(round range)':>17s} {'wall s':>8s} "
            f"{'CPU s':>8s} {'cores':>5s} {'net-iter/CPU s':>14s}")
    lines = ["Throughput, network-iterations per second of wall time, median over rounds:",
             head, "-" * len(head)]
    for name, s in summary.items():
        lo, hi = s["throughput_range"]
        lines.append(f"{name:12s} {s['throughput']:10.1f} {f'({lo:.1f}-{hi:.1f})':>17s} "
                     f"{s['wall_s']:8.2f} {s['cpu_s']:8.2f} {s['cpu_s'] / s['wall_s']:5.2f} "
                     f"{s['throughput_cpu']:14.1f}")
    lines += ["", "Ratios of throughput:",
              f"  {'':26s} {'wall':>6s} {'(round range)':>13s} {'CPU':>6s}"]
    for name, r in ratio_table.items():
        lo, hi = r["range"]
        lines.append(f"  {name:26s} {r['ratio']:6.2f} {f'({lo:.2f}-{hi:.2f})':>13s} "
                     f"{r['ratio_cpu']:6.2f}")
    if any("threads" in s for s in summary.values()):
        lines += ["", "rnnatlas threads, time summed over the threads (blocked: alive, neither on "
                  "a CPU nor waiting for one):"]
    for name, s in summary.items():
        if "threads" in s:
            t = s["threads"]
            alive = max(t["alive_s"], 1e-9)
            lines.append(f"  {name:10s} alive {t['alive_s']:.1f} s ({t['n_threads']:.0f} threads): "
                         f"on a CPU {100 * t['on_cpu_s'] / alive:.0f}%, waiting for a CPU "
                         f"{100 * t['waiting_for_cpu_s'] / alive:.0f}%, blocked "
                         f"{100 * t['blocked_s'] / alive:.0f}%")
    if any("per_network_mean_s" in s for s in summary.values()):
        lines += ["", "torch, mean wall seconds per network (startup = interpreter start and "
                  "imports; pool: once per process):"]
    for name, s in summary.items():
        if "per_network_mean_s" in s:
            parts = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in s["per_network_mean_s"].items())
            if "process_startup_s" in s:
                parts = f"startup {s['process_startup_s']:.2f} per process, " + parts
            lines.append(f"  {name:10s} {parts}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See bench/README.md.")
    p.add_argument("--build-dir", help="CMake build tree with apps/rnnatlas/rnnatlas "
                   "(default: build/release, else build)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test in seconds: 1 round, n_hidden 32, 1 seed, 20 iterations")
    p.add_argument("--arch", nargs="+", choices=ARCHS, default=list(ARCHS))
    p.add_argument("--n-hidden", type=int, nargs="+", default=[32, 64],
                   help="sizes (default 32 64: the *_small configs')")
    p.add_argument("--seeds", type=int, default=1, help="seeds per grid point (default 1)")
    p.add_argument("--n-iterations", type=int, default=500,
                   help="training iterations per network (default 500)")
    p.add_argument("--n-batch", type=int, default=64)
    p.add_argument("--n-time", type=int, default=50)
    p.add_argument("--n-eval-batch", type=int, default=256)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--clip-norm", type=float, default=10.0)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                   help="worker counts (default 1 2)")
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS),
                   help="what to run (default: all three)")
    p.add_argument("--ugrnn-impl", choices=("eager", "script"), default="eager",
                   help="torch UGRNN loop: eager (default) or torch.jit.script")
    p.add_argument("--coretype", default="default",
                   help="OPENBLAS_CORETYPE for torch ('default' = unset)")
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--json", type=Path, help="also write everything here as JSON")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.n_hidden, args.seeds, args.n_iterations = 1, [32], 1, 20
    for name in ("rounds", "seeds", "n_iterations", "n_batch", "n_time", "n_eval_batch"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} = {getattr(args, name)}: must be >= 1")
    if min(args.workers) < 1:
        p.error(f"--workers = {args.workers}: each must be >= 1")
    exe = find_binary(args.build_dir, "apps/rnnatlas/rnnatlas")
    if exe is None:
        p.error(f"no apps/rnnatlas/rnnatlas under {args.build_dir or 'build/release or build'}; "
                "build it with: cmake --preset release && "
                "cmake --build build/release --target rnnatlas")
    variants = [v for v in VARIANTS if v in args.variants]
    networks = population(args)
    env = blas_env(coretype=args.coretype)
    started = time.monotonic()
    machine = {"cpu_model": next((ln.split(":", 1)[1].strip() for ln in
                                  Path("/proc/cpuinfo").read_text().splitlines()
                                  if ln.startswith("model name")), platform.processor()),
               "n_cpus": os.cpu_count(), "platform": platform.platform(),
               "load_average_start": load_average(), "autogroup": autogroup()}
    info = torch_info(args.python, env)
    blas = info["openblas"]
    print(f"rnnatlas: {exe}\nmachine: {machine['cpu_model']}, {machine['n_cpus']} CPUs, load "
          f"average {machine['load_average_start'][0]:.2f}\ntorch {info['torch']}, "
          f"{info['torch_threads']} thread, BLAS "
          + (f"{blas['filepath']} (OpenBLAS {blas['version']}, {blas['architecture']} kernels)"
             if blas else "not OpenBLAS")
          + f", OPENBLAS_CORETYPE {args.coretype}", flush=True)
    if machine["autogroup"]:
        print("note: sched_autogroup is on: while other sessions are busy, this run gets one "
              "session's share of the CPUs whatever its worker count", flush=True)
    print(f"population: {len(networks)} networks ({', '.join(args.arch)} x n_hidden "
          f"{args.n_hidden} x {args.seeds} seeds, tanh), {args.n_iterations} iterations each "
          f"(batch {args.n_batch}, n_time {args.n_time}): "
          f"{len(networks) * args.n_iterations} network-iterations", flush=True)

    rounds = []
    with tempfile.TemporaryDirectory(prefix="population-bench-") as tmp:
        workdir = Path(tmp)
        config = workdir / "population.toml"
        config.write_text(sweep_config(args))
        jobs = [(v, w) for w in args.workers for v in variants]
        for k in range(args.rounds):
            rnd = {v: {} for v in variants}
            shift = k % len(jobs)
            for v, w in jobs[shift:] + jobs[:shift]:  # rotate the order from round to round
                if v == "rnnatlas":
                    r = run_rnnatlas(exe, config, workdir, w)
                    if r["not_completed"]:
                        print(f"warning: networks that stopped early (diverged): "
                              f"{r['not_completed']}; they count with the iterations they did",
                              flush=True)
                elif v == "torch":
                    r = run_torch_processes(args.python, networks, workdir, w, env)
                else:
                    r = run_torch_pool(args.python, networks, workdir, w, env)
                r["load_average"] = load_average()
                rnd[v][str(w)] = r
            rounds.append(rnd)
            print(f"round {k + 1}/{args.rounds} (network-iterations/s): " + "  ".join(
                f"{v}-{w} {rnd[v][str(w)]['network_iterations'] / rnd[v][str(w)]['wall_s']:.0f}"
                for v, w in jobs), flush=True)

    summary = summarize(rounds, variants, args.workers)
    ratio_table = ratios(summary, rounds, variants, args.workers)
    machine["load_average_end"] = load_average()
    elapsed = time.monotonic() - started
    print()
    print(format_report(summary, ratio_table))
    print(f"load average {machine['load_average_start'][0]:.2f} at start, "
          f"{machine['load_average_end'][0]:.2f} at end; {elapsed:.0f} s")
    if args.json:
        report = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "sweep_config": sweep_config(args),
            "rnnatlas": str(exe), "machine": machine, "torch": info,
            "summary": summary, "ratios": ratio_table, "rounds": rounds, "elapsed_s": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    run_main(main)
