#!/usr/bin/python3
"""Measures what the paper-scale study costs and writes the generated part of docs/paper-scale.md.

    /usr/bin/python3 scripts/paper_cost.py MODE [--cli PATH] [--work DIR] [--data DIR] [--doc FILE]

Modes (each measurement mode stores its figures in DATA/<mode>.json, then rewrites the doc):

    train     one network of every class of the paper grid (cell x activation x n_hidden x task,
              L2 0, seed 0) trained by `rnnatlas sweep -j 1` for --short-iterations and for
              --iterations minibatches, plus a linearity check (3 classes at 4 run lengths)
    dynamics  `rnnatlas dynamics FILE -j 1` with the paper study's settings on the trained network
              files given by --networks (--append adds to the runs already stored)
    compare   populations of every class times 2, 4 and 8 seeds trained for one minibatch, then
              `rnnatlas compare -j 1` (svcca k=10, cka) and `rnnatlas embed -j 1
              --n-permutations 9999` on each
    topology  `rnnatlas compare --metric topology -j 1` on copies of the sweep directories given
              by --networks (they must have dynamics files)
    sample    draws 2% of the paper grid with random.Random(2019), predicts the training time of
              each drawn network from DATA/train.json, trains (one thread, nice 10) the largest
              part of the draw that fits --budget-minutes of CPU (or all of it with --all), and
              records kept counts and predicted against measured CPU time; rerunning resumes
    write     only rewrites the doc from DATA/*.json

Costs are CPU seconds (user + system, getrusage of the child processes), which a loaded machine
inflates less than wall seconds. Nothing between the doc's markers is typed by hand. The script uses the standard library and
numpy only (no h5py): it reads what the CLI prints and the manifests it writes (CSV).
Exit status: 0 done, 1 a command failed, 2 bad arguments or missing measurements.
"""

import argparse
import csv
import datetime
import heapq
import json
import math
import os
import pathlib
import platform
import random
import resource
import re
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = ROOT / "build" / "release" / "apps" / "rnnatlas" / "rnnatlas"
TASKS = ["flip_flop", "sine_wave", "context_integration"]
CELLS = ["vanilla", "ugrnn", "gru", "lstm"]
ACTIVATIONS = ["tanh", "relu"]
SIZES = [64, 128, 256]
L2S = ["0", "1e-5", "1e-4", "1e-3"]
N_SEEDS = 10
PAPER_ITERATIONS = 5000
NETWORKS_PER_TASK = len(CELLS) * len(ACTIVATIONS) * len(SIZES) * len(L2S) * N_SEEDS  # 960
SAMPLE_SEED = 2019
SAMPLE_FRACTION = 0.02
NODE_CORES = 64


# ---- the machine and its load -----------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_vector_isa() -> str:
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    if "avx512f" in flags:
        return "AVX-512"
    return "AVX2" if "avx2" in flags else "no AVX2"


def conditions(threads: int) -> dict:
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(), "isa": cpu_vector_isa(), "logical_cpus": os.cpu_count(),
            "threads": threads, "load_before": list(os.getloadavg())}


def finish(record: dict) -> dict:
    record["load_after"] = list(os.getloadavg())
    return record


# ---- running the CLI -------------------------------------------------------------------------

def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Run:
    """One finished command: wall and CPU seconds (user + system of the process and its
    children), stdout and stderr. CPU seconds are what a core-hour counts: on this shared machine
    a process may wait for a core, which inflates its wall time but not its CPU time."""

    def __init__(self, command, *, nice=0):
        if nice:
            command = ["nice", "-n", str(nice)] + list(command)
        command = [str(c) for c in command]
        print("$ " + " ".join(command), file=sys.stderr, flush=True)
        cpu = child_cpu_seconds()
        start = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True)
        self.wall = time.monotonic() - start
        self.cpu = child_cpu_seconds() - cpu
        self.stdout, self.stderr = done.stdout, done.stderr
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            sys.exit(f"paper_cost: command failed with exit status {done.returncode}")


def paper_config(task: str, **grid) -> str:
    """experiments/<task>_paper.toml with some [grid] keys replaced (values as TOML text)."""
    text = (ROOT / "experiments" / f"{task}_paper.toml").read_text()
    for key, value in grid.items():
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        if n != 1:
            sys.exit(f"paper_cost: experiments/{task}_paper.toml has no [grid] key {key}")
    return text


def toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values) + "]"


def read_manifest(directory: pathlib.Path) -> list[dict]:
    with open(directory / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def sweep(config_text: str, out: pathlib.Path, cli: str, nice=0) -> tuple[Run, list[dict]]:
    """A fresh sweep of config_text into out on one thread; (the run, manifest rows)."""
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    config = out.parent / (out.name + ".toml")
    config.write_text(config_text)
    done = Run([cli, "sweep", config, "--out", out, "-j", "1", "-q"], nice=nice)
    return done, read_manifest(out)


# ---- training --------------------------------------------------------------------------------

LINEARITY = [("flip_flop", "gru", "tanh", 128), ("sine_wave", "lstm", "relu", 64),
             ("context_integration", "vanilla", "tanh", 256)]
LINEARITY_ITERATIONS = [10, 20, 40, 80]


def train_one(args, task, cell, activation, n_hidden, iterations, name) -> dict:
    """One network of the paper grid (L2 0, seed 0) trained for `iterations` minibatches by a
    sweep of its own: CPU and wall seconds of the process, and the manifest's training seconds
    (wall time of the training loop)."""
    text = paper_config(task, cell=toml_list([cell]), activation=toml_list([activation]),
                        n_hidden=toml_list([n_hidden]), l2="0", n_iterations=iterations,
                        seeds="[0]")
    done, rows = sweep(text, args.work / name / f"{task}-{cell}-{activation}-h{n_hidden}-it{iterations}",
                       args.cli)
    return {"iterations": int(rows[0]["n_iterations_done"]), "outcome": rows[0]["outcome"],
            "cpu": done.cpu, "wall": done.wall, "loop_wall": float(rows[0]["seconds"])}


def measure_train(args) -> dict:
    """Every class at a short and a long count: the difference of CPU seconds over the
    difference of iterations is the cost of an iteration, whatever the fixed cost of the process
    (start, held-out evaluation, file)."""
    record = conditions(threads=1)
    short, long = args.short_iterations, args.iterations
    record["iterations"] = [short, long]
    classes = []
    for task in TASKS:
        for cell in CELLS:
            for activation in ACTIVATIONS:
                for n_hidden in SIZES:
                    a = train_one(args, task, cell, activation, n_hidden, short, "train")
                    b = train_one(args, task, cell, activation, n_hidden, long, "train")
                    per_iteration = (b["cpu"] - a["cpu"]) / (b["iterations"] - a["iterations"])
                    classes.append({"task": task, "cell": cell, "activation": activation,
                                    "n_hidden": n_hidden, "short": a, "long": b,
                                    "cpu_per_iteration": per_iteration,
                                    "fixed_cpu": a["cpu"] - per_iteration * a["iterations"],
                                    "load": list(os.getloadavg())})
    record["classes"] = classes
    linearity = []
    for task, cell, activation, n_hidden in LINEARITY:
        runs = [train_one(args, task, cell, activation, n_hidden, n, "linearity")
                for n in LINEARITY_ITERATIONS]
        x = np.array([r["iterations"] for r in runs], float)
        y = np.array([r["cpu"] for r in runs], float)
        slope, intercept = np.polyfit(x, y, 1)
        residual = y - (slope * x + intercept)
        linearity.append({"task": task, "cell": cell, "activation": activation,
                          "n_hidden": n_hidden, "runs": runs, "slope": float(slope),
                          "intercept": float(intercept),
                          "max_relative_residual": float(np.max(np.abs(residual) / y)),
                          "r2": float(1 - np.sum(residual ** 2) / np.sum((y - y.mean()) ** 2))})
    record["linearity"] = linearity
    return finish(record)


# ---- dynamics --------------------------------------------------------------------------------

SINE_INPUTS = 51
GATES = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}


def network_info(args, path) -> dict:
    """cell, activation, n_hidden, task and held-out normalized MSE from `rnnatlas info`."""
    text = Run([args.cli, "info", path]).stdout
    arch = re.search(r"^architecture\s+(\w+), (\w+): .*n_hidden (\d+)", text, re.M)
    task = re.search(r"^task\s+(\w+)", text, re.M)
    nmse = re.search(r"normalized mse ([-+.\deE]+)", text)
    if not arch or not task:
        sys.exit(f"paper_cost: cannot read the architecture and task of {path}")
    return {"cell": arch[1], "activation": arch[2], "n_hidden": int(arch[3]), "task": task[1],
            "normalized_mse": float(nmse[1]) if nmse else None}


def measure_dynamics(args) -> dict:
    """`rnnatlas dynamics FILE -j 1` with the paper study's settings (its defaults: 1024 initial
    states, 5000 Adam iterations, Newton, transitions, limit cycles) on trained networks. For the
    sine wave only every --sine-stride-th of the 51 static inputs is analysed and the time is
    scaled to 51: each input is a search of its own."""
    record = conditions(threads=1)
    record["sine_stride"] = args.sine_stride
    runs = []
    if args.append and (args.data / "dynamics.json").exists():
        earlier = load(args, "dynamics")
        runs = earlier["runs"]
        record["earlier"] = [{k: v for k, v in earlier.items() if k not in ("runs", "earlier")}] \
            + earlier.get("earlier", [])
    networks = list(args.networks)
    if args.sample_kept:        # the kept networks of the trained sample (paper-trained)
        for n in load(args, "sample")["sample"]:
            if n.get("kept"):
                networks += sorted(str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f)
                                   for f in (args.work / "sample" / f"{n['task']}-{n['id']}"
                                             / "networks").glob("*.h5"))
    done_files = {r["file"] for r in runs}
    for path in networks:
        if path in done_files and args.append:
            continue
        info = network_info(args, path)
        out = args.work / "dynamics" / f"{len(runs)}-{pathlib.Path(path).stem}.dynamics.h5"
        out.parent.mkdir(parents=True, exist_ok=True)
        flags = ["--n-initial-states", "1024"]
        analysed = {"flip_flop": 1, "context_integration": 2}.get(info["task"])
        full = analysed
        if info["task"] == "sine_wave":
            flags += ["--input-stride", str(args.sine_stride)]
            analysed = len(range(0, SINE_INPUTS, args.sine_stride))
            full = SINE_INPUTS
        done = Run([args.cli, "dynamics", path, "--out", out, "-j", "1", "-q", *flags])
        info.update(file=str(path), conditions=analysed, conditions_full=full, cpu=done.cpu,
                    wall=done.wall, cpu_full=done.cpu * full / analysed,
                    load=list(os.getloadavg()))
        runs.append(info)
    record["runs"] = runs
    return finish(record)


# ---- compare and embed ------------------------------------------------------------------------

COMPARE_SEEDS = [2, 4, 8]          # populations of 24 x seeds networks: N = 48, 96, 192
COMPARE_METRICS = {"svcca": ["--metric", "svcca", "--svcca.k", "10"], "cka": ["--metric", "cka"]}


def population_config(task, n_seeds) -> str:
    """Every class of the paper grid (L2 0) times n_seeds seeds, trained for one minibatch and all
    kept: the cost of comparing networks depends on their sizes and the held-out trials, not on
    how well they are trained (below)."""
    text = paper_config(task, cell=toml_list(CELLS), activation=toml_list(ACTIVATIONS),
                        n_hidden=toml_list(SIZES), l2="0", n_iterations=1,
                        seeds=toml_list(list(range(n_seeds))))
    return re.sub(r"^max_normalized_mse = .*$", "max_normalized_mse = 1e30", text, flags=re.M)


def measure_compare(args) -> dict:
    """For each task, populations of N = 48, 96 and 192 networks of the paper's mix of classes
    (the same 24 classes, more seeds: each population grows the one before): CPU seconds of
    `compare -j 1` per metric at each N, fitted as a N + b N (N - 1) / 2 on the two largest
    (the way linear CKA takes, Gram or factor tiles, depends on N; at N >= 96 of this mix it is
    the Gram way, as at the paper's N), and of `embed -j 1` with the paper's 9999 permutations."""
    record = conditions(threads=1)
    record["seeds"] = COMPARE_SEEDS
    tasks = []
    for task in TASKS:
        out = args.work / "compare" / task
        if out.exists():
            shutil.rmtree(out)
        sizes = []
        for n_seeds in COMPARE_SEEDS:
            config = out.parent / f"{task}-{n_seeds}.toml"
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(population_config(task, n_seeds))
            Run([args.cli, "sweep", config, "--out", out, "-j", "1", "-q"])
            n = len(read_manifest(out))
            entry = {"networks": n, "pairs": n * (n - 1) // 2}
            for metric, flags in COMPARE_METRICS.items():
                done = Run([args.cli, "compare", out, *flags, "-j", "1", "--force"])
                entry[metric] = {"cpu": done.cpu, "wall": done.wall,
                                 "way": "gram" if "gram" in (done.stdout + done.stderr).lower()
                                 else None}
                done = Run([args.cli, "embed", out, "--metric", metric, "--n-permutations", "9999",
                            "-j", "1", "--force"])
                entry[f"embed_{metric}"] = {"cpu": done.cpu, "wall": done.wall}
            entry["load"] = list(os.getloadavg())
            sizes.append(entry)
        tasks.append({"task": task, "sizes": sizes})
    record["tasks"] = tasks
    return finish(record)


def measure_topology(args) -> dict:
    """`compare --metric topology -j 1` on populations that have dynamics files (--networks:
    sweep directories after `rnnatlas dynamics`); copied, since compare writes into them."""
    record = conditions(threads=1)
    runs = []
    for source in args.networks:
        source = pathlib.Path(source)
        task = next((t for t in TASKS if f"[task]\nname = \"{t}\"" in
                     (source / "sweep.toml").read_text()), None)
        out = args.work / "topology" / f"{len(runs)}-{source.name}"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for name in ["sweep.toml", "sweep.hash", "manifest.csv", "history", "networks",
                     "dynamics"]:
            if (source / name).is_dir():
                shutil.copytree(source / name, out / name)
            elif (source / name).exists():
                shutil.copy2(source / name, out / name)
        n = sum(r["kept"] == "1" for r in read_manifest(out))
        done = Run([args.cli, "compare", out, "--metric", "topology", "-j", "1", "--force"])
        runs.append({"source": str(source), "task": task, "networks": n,
                     "pairs": n * (n - 1) // 2, "cpu": done.cpu, "wall": done.wall})
    record["runs"] = runs
    return finish(record)


# ---- the 2% sample ---------------------------------------------------------------------------

def paper_ids(args, task) -> list[str]:
    """The network ids of experiments/<task>_paper.toml, in index order (`rnnatlas sweep --list`)."""
    done = Run([args.cli, "sweep", ROOT / "experiments" / f"{task}_paper.toml", "--list"])
    ids = [line.strip() for line in done.stdout.splitlines() if re.match(r"^\d{4}-", line)]
    if len(ids) != NETWORKS_PER_TASK:
        sys.exit(f"paper_cost: {task}_paper.toml lists {len(ids)} networks, not {NETWORKS_PER_TASK}")
    return ids


def parse_id(network_id: str) -> dict:
    m = re.match(r"^(\d+)-(\w+?)-(\w+?)-h(\d+)-l2_(.+)-s(\d+)$", network_id)
    if not m:
        sys.exit(f"paper_cost: cannot read the network id {network_id}")
    return {"index": int(m[1]), "cell": m[2], "activation": m[3], "n_hidden": int(m[4]),
            "l2": m[5], "seed": int(m[6])}


def predicted_train_cpu(train: dict, task, cell, activation, n_hidden,
                        iterations=PAPER_ITERATIONS) -> float:
    for c in train["classes"]:
        if (c["task"], c["cell"], c["activation"], c["n_hidden"]) == (task, cell, activation,
                                                                      n_hidden):
            return c["cpu_per_iteration"] * iterations + c["fixed_cpu"]
    sys.exit(f"paper_cost: train.json has no class {task} {cell} {activation} {n_hidden}")


def draw_sample(args, train) -> list[dict]:
    """2% of the 2,880 networks of the paper grid, drawn with random.Random(2019), in draw order."""
    ids = {task: paper_ids(args, task) for task in TASKS}
    total = len(TASKS) * NETWORKS_PER_TASK
    drawn = random.Random(SAMPLE_SEED).sample(range(total), round(SAMPLE_FRACTION * total))
    sample = []
    for order, g in enumerate(drawn):
        task = TASKS[g // NETWORKS_PER_TASK]
        network = parse_id(ids[task][g % NETWORKS_PER_TASK])
        network.update(task=task, id=ids[task][g % NETWORKS_PER_TASK], draw=order,
                       predicted_cpu=predicted_train_cpu(train, task, network["cell"],
                                                         network["activation"],
                                                         network["n_hidden"]))
        sample.append(network)
    return sample


def choose_runs(sample, budget_seconds) -> list[dict]:
    """The largest part of the draw that fits the budget, by strata of n_hidden: every drawn
    network of the smallest size in draw order while it fits, then the next size."""
    chosen, used = [], 0.0
    for n_hidden in SIZES:
        for network in sample:
            if network["n_hidden"] == n_hidden and used + network["predicted_cpu"] <= budget_seconds:
                chosen.append(network)
                used += network["predicted_cpu"]
    return chosen


def sample_config(network) -> str:
    return paper_config(network["task"], cell=toml_list([network["cell"]]),
                        activation=toml_list([network["activation"]]),
                        n_hidden=toml_list([network["n_hidden"]]), l2=network["l2"],
                        seeds=f"[{network['seed']}]")


def measure_sample(args) -> dict:
    train = load(args, "train")
    record = conditions(threads=1)
    record["nice"] = 10
    sample = draw_sample(args, train)
    record["budget_cpu_seconds"] = args.budget_minutes * 60
    chosen = sample if args.all else choose_runs(sample, args.budget_minutes * 60)
    chosen_ids = {n["id"] for n in chosen}
    directory = args.work / "sample"
    directory.mkdir(parents=True, exist_ok=True)
    previous = {}
    if (args.data / "sample.json").exists():
        previous = {n["id"]: n for n in load(args, "sample")["sample"] if "outcome" in n}
    for network in sample:
        network["chosen"] = network["id"] in chosen_ids
        config = directory / f"{network['task']}-{network['id']}.toml"
        config.write_text(sample_config(network))
        network["command"] = (f"rnnatlas sweep out/paper-cost/sample/{config.name} "
                              f"--out out/paper-cost/sample/{config.stem} -j 1")
    record["sample"] = sample
    for network in sample:
        if not network["chosen"]:
            continue
        if network["id"] in previous:      # trained by an earlier run of this mode
            network.update({k: v for k, v in previous[network["id"]].items()
                            if k in ("outcome", "normalized_mse", "kept", "cpu", "wall",
                                     "loop_wall", "load")})
            continue
        config = directory / f"{network['task']}-{network['id']}.toml"
        out = directory / config.stem
        done = Run([args.cli, "sweep", config, "--out", out, "-j", "1", "-q"], nice=10)
        row = read_manifest(out)[0]
        network.update(outcome=row["outcome"], normalized_mse=float(row["normalized_mse"]),
                       kept=row["kept"] == "1", cpu=done.cpu, wall=done.wall,
                       loop_wall=float(row["seconds"]), load=list(os.getloadavg()))
        save(args, "sample", finish(dict(record)))     # progress survives a stop
    return finish(record)


# ---- the paper-scale model --------------------------------------------------------------------

def n_state(cell, n_hidden) -> int:
    return 2 * n_hidden if cell == "lstm" else n_hidden


def dynamics_work(cell, n_hidden) -> float:
    """Flops of one batched fixed-point step, up to a constant: the gates' products of the
    [n_hidden] part of the state with the recurrent weights, for every state coordinate."""
    return GATES[cell] * n_state(cell, n_hidden) * n_hidden


def distinct_runs(runs) -> list[dict]:
    """One run per network file: the one that analysed every condition when there is one."""
    best = {}
    for r in runs:
        if r["file"] not in best or r["conditions"] > best[r["file"]]["conditions"]:
            best[r["file"]] = r
    return list(best.values())


def dynamics_model(dyn: dict) -> dict:
    """Per task: CPU seconds of one network = a_task x dynamics_work (exponent 1), with a_task the
    mean ratio over the measured networks of the largest measured size; also the exponent fitted
    over every measured network of the task (for the sensitivity of the estimate)."""
    model = {}
    for task in TASKS:
        runs = distinct_runs([r for r in dyn["runs"] if r["task"] == task])
        if not runs:
            continue
        largest = max(r["n_hidden"] for r in runs)
        anchor = [r["cpu_full"] / dynamics_work(r["cell"], r["n_hidden"]) for r in runs
                  if r["n_hidden"] == largest]
        entry = {"a": float(np.mean(anchor)), "anchor_n_hidden": largest, "n_runs": len(runs),
                 "alpha": None}
        # exponent within a cell: log CPU against log work, centred per cell, over the cells
        # measured at two sizes or more (cells differ by how their searches converge)
        xs, ys = [], []
        for cell in CELLS:
            mine = [r for r in runs if r["cell"] == cell]
            if len({r["n_hidden"] for r in mine}) < 2:
                continue
            x = np.log([dynamics_work(cell, r["n_hidden"]) for r in mine])
            y = np.log([r["cpu_full"] for r in mine])
            xs += list(x - x.mean())
            ys += list(y - y.mean())
        if xs:
            entry["alpha"] = float(np.dot(xs, ys) / np.dot(xs, xs))
        model[task] = entry
    return model


def dynamics_cpu(model, task, cell, n_hidden, fitted=False) -> float:
    """a x work; with fitted=True, a x work at the anchor size times the growth of work to the
    power of the fitted exponent (when there is one)."""
    m = model[task]
    work = dynamics_work(cell, n_hidden)
    if fitted and m["alpha"] is not None:
        anchor = dynamics_work(cell, m["anchor_n_hidden"])
        return m["a"] * anchor * (work / anchor) ** m["alpha"]
    return m["a"] * work


def dynamics_order(nets: list) -> list[int]:
    """The order in which `rnnatlas dynamics` hands out the networks (cell, activation, n_hidden):
    decreasing gates x n_state^2, ties in the given (manifest) order."""
    def cost(net):
        cell, _, n_hidden = net
        n_state = (2 if cell == "lstm" else 1) * max(n_hidden, 1)
        return GATES[cell] * n_state * n_state

    return sorted(range(len(nets)), key=lambda i: -cost(nets[i]))


def population(task):
    """The 960 networks of a task's paper config in manifest order, as (cell, activation,
    n_hidden); L2 and seed do not change the cost."""
    return [(c, a, h) for c in CELLS for a in ACTIVATIONS for h in SIZES
            for _ in range(len(L2S) * N_SEEDS)]


def schedule(durations, workers) -> float:
    """Makespan of handing out jobs, in the given order, to whichever of `workers` is free."""
    free = [0.0] * workers
    heapq.heapify(free)
    end = 0.0
    for d in durations:
        start = heapq.heappop(free)
        end = max(end, start + d)
        heapq.heappush(free, start + d)
    return end


def compare_fit(cmp_task, metric) -> dict:
    """CPU = per_network x N + per_pair x N (N - 1) / 2, least squares in relative terms over
    every measured N with both coefficients >= 0; and the upper bound per pair: the CPU time of
    the largest N over its pairs (all the per-network work counted as pair work)."""
    sizes = cmp_task["sizes"]
    x = np.array([[e["networks"], e["pairs"]] for e in sizes], float)
    y = np.array([e[metric]["cpu"] for e in sizes], float)
    w = x / y[:, None]
    coef, *_ = np.linalg.lstsq(w, np.ones_like(y), rcond=None)
    if coef.min() < 0:   # one coefficient at 0, the other fitted alone
        keep = int(np.argmax(coef))
        coef = np.zeros(2)
        coef[keep] = np.linalg.lstsq(w[:, [keep]], np.ones_like(y), rcond=None)[0][0]
    largest = sizes[-1]
    return {"per_network": float(coef[0]), "per_pair": float(coef[1]),
            "upper_per_pair": largest[metric]["cpu"] / largest["pairs"]}


def compare_cpu(cmp_task, metric, n) -> float:
    """The larger of the fit and the upper bound, at N networks."""
    fit = compare_fit(cmp_task, metric)
    pairs = n * (n - 1) / 2
    return max(fit["per_network"] * n + fit["per_pair"] * pairs, fit["upper_per_pair"] * pairs)


def embed_cpu(cmp_task, metric, n) -> float:
    """Power law through the two largest measured N."""
    if n < 2:
        return 0.0
    (n1, c1), (n2, c2) = [(e["networks"], e[f"embed_{metric}"]["cpu"])
                          for e in cmp_task["sizes"][-2:]]
    p = math.log(c2 / c1) / math.log(n2 / n1)
    return c2 * (n / n2) ** p


def topology_per_pair(topo, task) -> float:
    """CPU seconds per pair, the loading of the dynamics files included (so an upper bound)."""
    runs = [r for r in topo["runs"] if r["pairs"] > 0 and r["task"] == task]
    return max(r["cpu"] / r["pairs"] for r in runs) if runs else float("nan")


def paper_scale(data: dict, kept_fractions: dict) -> dict:
    """Core-hours per stage and task, and wall times on 1 and 4 nodes of NODE_CORES cores."""
    train, dyn, cmp, topo = data["train"], data["dynamics"], data["compare"], data["topology"]
    model = dynamics_model(dyn)
    result = {}
    for task in TASKS:
        nets = population(task)
        train_cpu = [predicted_train_cpu(train, task, c, a, h) for c, a, h in nets]
        n_kept = round(kept_fractions[task] * len(nets))
        # dynamics: kept networks, one per thread, on one node
        dyn_cpu = [dynamics_cpu(model, task, c, h) for c, a, h in nets]
        # kept networks spread evenly over the manifest (every class keeps the same share)
        kept_index = [int(i) for i in np.linspace(0, len(nets) - 1, n_kept).round()]
        dyn_kept = [dyn_cpu[i] for i in kept_index]
        kept_nets = [nets[i] for i in kept_index]
        ct = next(t for t in cmp["tasks"] if t["task"] == task)
        stages = {
            "train": sum(train_cpu),
            "dynamics": sum(dyn_kept),
            "svcca": compare_cpu(ct, "svcca", n_kept),
            "cka": compare_cpu(ct, "cka", n_kept),
            "topology": topology_per_pair(topo, task) * n_kept * max(n_kept - 1, 0) / 2,
            # one embedding per distance file (svcca, cka, topology); its cost depends on N only
            "embed": 3 * float(np.mean([embed_cpu(ct, m, n_kept) for m in COMPARE_METRICS])),
        }
        longest = {"train": max(train_cpu), "dynamics": max(dyn_kept, default=0.0)}
        walls = {}
        for nodes in (1, 4):
            cores = NODE_CORES * nodes
            w = {}
            # sweep: MPI ranks over every core, most expensive first
            w["train"] = schedule(sorted(train_cpu, reverse=True), cores)
            # dynamics: threads of one node only, networks most expensive first by the cost
            # model of src/pipeline/population.cc (gates x n_state^2), ties in manifest order
            w["dynamics"] = schedule([dyn_kept[i] for i in dynamics_order(kept_nets)], NODE_CORES)
            # compare: pairs over every core (MPI), but every rank prepares every network; with
            # one rank per node and NODE_CORES threads, preparation is shared by the threads
            for m in COMPARE_METRICS:
                fit = compare_fit(ct, m)
                preparation = fit["per_network"] * n_kept
                w[m] = preparation / NODE_CORES + (stages[m] - preparation) / cores
            w["topology"] = stages["topology"] / NODE_CORES  # rank 0 alone, on its threads
            w["embed"] = stages["embed"] / NODE_CORES     # threads over permutations, one node
            walls[nodes] = w
        result[task] = {"cpu": stages, "longest": longest, "walls": walls, "n_kept": n_kept}
    return result


# ---- the doc ---------------------------------------------------------------------------------

COST_BEGIN = "<!-- GENERATED_BEGIN paper-cost -->"
SAMPLE_BEGIN = "<!-- GENERATED_BEGIN paper-sample -->"
END = "<!-- GENERATED_END -->"
STAGE_NAMES = {"train": "train", "dynamics": "dynamics", "svcca": "compare svcca",
               "cka": "compare cka", "topology": "compare topology", "embed": "embed (3 files)"}


def hours(seconds: float) -> str:
    h = seconds / 3600
    return f"{h:,.0f}" if h >= 100 else f"{h:.1f}" if h >= 1 else f"{h:.2f}"


def duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def load_text(record) -> str:
    before = ", ".join(f"{x:.2f}" for x in record["load_before"])
    after = ", ".join(f"{x:.2f}" for x in record.get("load_after", [float("nan")] * 3))
    return f"{before} / {after}"


def conditions_table(data) -> list[str]:
    lines = ["| measurement | date | CPU | threads | load average (1, 5, 15 min) before / after |",
             "|---|---|---|---|---|"]
    for mode, record in data.items():
        if record is None:
            continue
        for i, r in enumerate(list(reversed(record.get("earlier", []))) + [record]):
            cpu = f"{r['cpu']} ({r['isa']}, {r['logical_cpus']} logical CPUs)"
            name = mode if i == len(record.get("earlier", [])) else f"{mode} (earlier run)"
            lines.append(f"| {name} | {r['date']} | {cpu} | {r['threads']} | {load_text(r)} |")
    return lines


def train_tables(train) -> list[str]:
    lines = [f"CPU seconds per 1000 minibatches of 128 trials (one thread), from the difference "
             f"between runs of {train['iterations'][1]} and {train['iterations'][0]} "
             "minibatches of the same network, and CPU hours of one paper network "
             f"({PAPER_ITERATIONS} minibatches, plus the fixed cost of the process: start, held-out "
             "evaluation, file):", ""]
    header = " | ".join(f"h{h}: s/1000 it" for h in SIZES) + " | " + \
        " | ".join(f"h{h}: h/network" for h in SIZES)
    lines += [f"| task | cell | {header} |", "|---|---|" + "---|" * (2 * len(SIZES))]
    by_key = {(c["task"], c["cell"], c["activation"], c["n_hidden"]): c for c in train["classes"]}
    for task in TASKS:
        for cell in CELLS:
            for activation in ACTIVATIONS:
                cs = [by_key[(task, cell, activation, h)] for h in SIZES]
                per_k = " | ".join(f"{1000 * c['cpu_per_iteration']:.0f}" for c in cs)
                per_net = " | ".join(
                    f"{(c['cpu_per_iteration'] * PAPER_ITERATIONS + c['fixed_cpu']) / 3600:.2f}"
                    for c in cs)
                lines.append(f"| {task} | {cell}-{activation} | {per_k} | {per_net} |")
    lines += ["", "Linearity check (CPU seconds of the whole process against minibatches, "
              "least-squares line):", "",
              "| class | minibatches: CPU s | slope s/it | intercept s | R^2 | largest residual |",
              "|---|---|---|---|---|---|"]
    for l in train["linearity"]:
        points = ", ".join(f"{r['iterations']}: {r['cpu']:.2f}" for r in l["runs"])
        lines.append(f"| {l['task']} {l['cell']}-{l['activation']} h{l['n_hidden']} | {points} | "
                     f"{l['slope']:.4f} | {l['intercept']:.2f} | {l['r2']:.5f} | "
                     f"{100 * l['max_relative_residual']:.1f}% |")
    return lines


def dynamics_tables(dyn) -> list[str]:
    lines = ["| network | task | held-out nMSE | conditions analysed | CPU s | CPU s, all conditions |",
             "|---|---|---|---|---|---|"]
    for r in dyn["runs"]:
        nmse = f"{r['normalized_mse']:.2g}" if r["normalized_mse"] is not None else "-"
        path = pathlib.Path(r["file"])
        name = path.parent.parent.name if path.parent.name == "networks" else path.stem
        lines.append(f"| {name} | {r['task']} | {nmse} | "
                     f"{r['conditions']} of {r['conditions_full']} | {r['cpu']:.1f} | "
                     f"{r['cpu_full']:.1f} |")
    for file in sorted({r["file"] for r in dyn["runs"]}):
        mine = [r for r in dyn["runs"] if r["file"] == file]
        part = [r for r in mine if r["conditions"] < r["conditions_full"]]
        full = [r for r in mine if r["conditions"] == r["conditions_full"]]
        if part and full:
            lines += ["", f"Check of the scaling by conditions on {pathlib.Path(file).stem}: "
                      f"{part[0]['cpu_full']:.1f} CPU s scaled from {part[0]['conditions']} "
                      f"inputs, {full[0]['cpu']:.1f} CPU s for all {full[0]['conditions']} "
                      "(the model uses the full run)."]
    model = dynamics_model(dyn)
    lines += ["", "The model: CPU seconds = a x gates x n_state x n_hidden (gates 1, 2, 3, 4 for "
              "vanilla, UGRNN, GRU, LSTM; n_state = 2 n_hidden for LSTM), a the mean over the "
              "measured networks of the largest measured size. The exponent fitted within cells "
              "measured at two sizes (1 = cost proportional to the flops of a batched fixed-point "
              "step) is shown for comparison, with the core-hours it would give.", "",
              "| task | a (CPU us) | anchored at n_hidden | " +
              " | ".join(f"{c} h{h}" for c in ("vanilla", "lstm") for h in SIZES) +
              " | core-hours, 960 networks | fitted exponent | core-hours with it |",
              "|---|---|---|" + "---|" * 9]
    for task, m in model.items():
        alpha = f"{m['alpha']:.2f}" if m["alpha"] is not None else "-"
        cells = " | ".join(duration(dynamics_cpu(model, task, c, h))
                           for c in ("vanilla", "lstm") for h in SIZES)
        total = sum(dynamics_cpu(model, task, c, h) for c, a, h in population(task))
        fitted = sum(dynamics_cpu(model, task, c, h, True) for c, a, h in population(task)) \
            if m["alpha"] is not None else None
        lines.append(f"| {task} | {1e6 * m['a']:.1f} | {m['anchor_n_hidden']} | {cells} | "
                     f"{hours(total)} | {alpha} | {hours(fitted) if fitted else '-'} |")
    return lines


def compare_tables(cmp, topo) -> list[str]:
    lines = ["| task | N | pairs | " + " | ".join(
        f"{m}: CPU s | embed {m}: CPU s" for m in COMPARE_METRICS) + " |",
        "|---|---|---|" + "---|" * (2 * len(COMPARE_METRICS))]
    for t in cmp["tasks"]:
        for e in t["sizes"]:
            cells = " | ".join(f"{e[m]['cpu']:.2f} | {e['embed_' + m]['cpu']:.2f}"
                               for m in COMPARE_METRICS)
            lines.append(f"| {t['task']} | {e['networks']} | {e['pairs']} | {cells} |")
    lines += ["", "Fitted (CPU = per network x N + per pair x pairs, least squares over the three N, "
              "coefficients >= 0), and the upper bound per pair (CPU at the largest N over its "
              "pairs); the paper scale takes the larger of the two predictions:", "",
              "| task | " + " | ".join(f"{m}: ms per network | {m}: ms per pair | "
                                      f"{m}: upper bound, ms per pair" for m in COMPARE_METRICS)
              + " |", "|---|" + "---|" * (3 * len(COMPARE_METRICS))]
    for t in cmp["tasks"]:
        fits = {m: compare_fit(t, m) for m in COMPARE_METRICS}
        cells = " | ".join(f"{1e3 * fits[m]['per_network']:.1f} | {1e3 * fits[m]['per_pair']:.3f} | "
                           f"{1e3 * fits[m]['upper_per_pair']:.3f}" for m in COMPARE_METRICS)
        lines.append(f"| {t['task']} | {cells} |")
    if topo and topo["runs"]:
        lines += ["", "Topology distances (from the dynamics files):", "",
                  "| population | task | N | pairs | CPU s | ms per pair |", "|---|---|---|---|---|---|"]
        for r in topo["runs"]:
            lines.append(f"| {r['source']} | {r['task']} | {r['networks']} | {r['pairs']} | "
                         f"{r['cpu']:.2f} | {1e3 * r['cpu'] / max(r['pairs'], 1):.3f} |")
    return lines


def scale_tables(data, kept_fractions, label) -> list[str]:
    result = paper_scale(data, kept_fractions)
    stages = list(STAGE_NAMES)
    kept = ", ".join(f"{t} {r['n_kept']}" for t, r in result.items())
    lines = [f"**{label}** ({kept} networks "
             "enter dynamics and compare).", "",
             "Core-hours:", "",
             "| task | " + " | ".join(STAGE_NAMES[s] for s in stages) + " | total |",
             "|---|" + "---|" * (len(stages) + 1)]
    totals = {s: 0.0 for s in stages}
    for task, r in result.items():
        for s in stages:
            totals[s] += r["cpu"][s]
        lines.append(f"| {task} | " + " | ".join(hours(r["cpu"][s]) for s in stages) +
                     f" | {hours(sum(r['cpu'].values()))} |")
    lines.append("| **all** | " + " | ".join(f"**{hours(totals[s])}**" for s in stages) +
                 f" | **{hours(sum(totals.values()))}** |")
    lines += ["", "Longest single job (the critical path of its stage): "
              + "; ".join(f"{t}: train {duration(r['longest']['train'])}, dynamics "
                          f"{duration(r['longest']['dynamics'])}" for t, r in result.items()) + ".",
              "", "Wall time per stage (simulated schedules, below):", "",
              "| task | nodes | " + " | ".join(STAGE_NAMES[s] for s in stages) + " | sum |",
              "|---|---|" + "---|" * (len(stages) + 1)]
    for nodes in (1, 4):
        for task, r in result.items():
            w = r["walls"][nodes]
            lines.append(f"| {task} | {nodes} | " + " | ".join(duration(w[s]) for s in stages)
                         + f" | {duration(sum(w.values()))} |")
    for nodes in (1, 4):
        serial = sum(sum(r["walls"][nodes].values()) for r in result.values())
        lines.append("")
        lines.append(f"Whole study on {nodes} node{'s' if nodes > 1 else ''} of {NODE_CORES} cores, "
                     f"tasks and stages one after the other as `rnnatlas reproduce` runs them: "
                     f"**{duration(serial)}**.")
    side = sum(r["walls"][4]["train"] for r in result.values()) + max(
        sum(v for k, v in r["walls"][4].items() if k != "train") for r in result.values())
    lines += ["", "On 4 nodes with the analysis of the three tasks run side by side by hand, one "
              "task per node, after the three trainings (each over all 256 cores): "
              f"**{duration(side)}**."]
    return lines


def sample_kept_fractions(sample) -> dict | None:
    """Per task: (kept fraction, kept, trained) of the trained part of the sample; None unless
    every task has trained networks."""
    result = {}
    for task in TASKS:
        trained = [n for n in sample["sample"] if "outcome" in n and n["task"] == task]
        if not trained:
            return None
        kept = sum(n["kept"] for n in trained)
        result[task] = (kept / len(trained), kept, len(trained))
    return result


def cost_text(data) -> str:
    lines = [COST_BEGIN, "",
             "Written by `/usr/bin/python3 scripts/paper_cost.py write` from "
             "`docs/paper-scale/*.json` (the modes `train`, `dynamics`, `compare`, `topology` "
             "measure); nothing here is typed by hand.", "", "### Conditions", ""]
    lines += conditions_table(data)
    lines += ["", "### Training, per class", ""] + train_tables(data["train"])
    lines += ["", "### Dynamics, per network", ""] + dynamics_tables(data["dynamics"])
    lines += ["", "### Compare and embed", ""] + compare_tables(data["compare"], data["topology"])
    lines += ["", "### The paper scale", ""]
    lines += scale_tables(data, {t: 1.0 for t in TASKS}, "Every network kept")
    fractions = sample_kept_fractions(data["sample"]) if data.get("sample") else None
    if fractions and any(f < 1 for f, _, _ in fractions.values()):
        label = "; ".join(f"{t} {k} of {n}" for t, (_, k, n) in fractions.items())
        lines += [""] + scale_tables(data, {t: f for t, (f, _, _) in fractions.items()},
                                     f"The kept fraction of each task in the trained sample "
                                     f"({label})")
    return "\n".join(lines + ["", END])


def sample_text(data) -> str:
    sample = data["sample"]
    lines = [SAMPLE_BEGIN, "",
             "Written by `/usr/bin/python3 scripts/paper_cost.py sample` (or `write`) from "
             "`docs/paper-scale/sample.json`.", ""]
    drawn = sample["sample"]
    trained = [n for n in drawn if "outcome" in n]
    chosen = [n for n in drawn if n["chosen"]]
    lines.append(f"Drawn: {len(drawn)} of {len(TASKS) * NETWORKS_PER_TASK} networks "
                 f"(random.Random({SAMPLE_SEED}).sample), predicted {hours(sum(n['predicted_cpu'] for n in drawn))} "
                 f"CPU hours in all. Budget {sample['budget_cpu_seconds'] / 60:.0f} CPU minutes: "
                 f"{len(chosen)} chosen (predicted {duration(sum(n['predicted_cpu'] for n in chosen))}), "
                 f"{len(trained)} trained (nice 10, one thread).")
    lines += ["", "| draw | task | network | predicted CPU | measured CPU | predicted / measured | "
              "held-out nMSE | kept |", "|---|---|---|---|---|---|---|---|"]
    for n in sorted(drawn, key=lambda n: (not n["chosen"], n["draw"])):
        if "outcome" in n:
            measured = f"{n['cpu'] / 60:.1f} min"
            ratio = f"{n['predicted_cpu'] / n['cpu']:.2f}"
            nmse = f"{n['normalized_mse']:.3g}" + ("" if n["outcome"] == "completed"
                                                   else f" ({n['outcome']})")
            kept = "yes" if n["kept"] else "no"
        else:
            measured, ratio, nmse, kept = ("not run",) + ("-",) * 3
        lines.append(f"| {n['draw']} | {n['task']} | {n['id']} | {n['predicted_cpu'] / 60:.1f} min | "
                     f"{measured} | {ratio} | {nmse} | {kept} |")
    if trained:
        ratios = np.array([n["predicted_cpu"] / n["cpu"] for n in trained])
        lines += ["", f"Trained: {len(trained)}; kept {sum(n['kept'] for n in trained)} "
                  f"(held-out normalized MSE < 0.01), diverged "
                  f"{sum(n['outcome'] == 'diverged' for n in trained)}. Predicted / measured CPU "
                  f"time per network: median {np.median(ratios):.2f}, range "
                  f"{ratios.min():.2f}-{ratios.max():.2f}; total predicted "
                  f"{duration(sum(n['predicted_cpu'] for n in trained))}, measured "
                  f"{duration(sum(n['cpu'] for n in trained))}."]
        for task in TASKS:
            t = [n for n in trained if n["task"] == task]
            if t:
                lines.append(f"- {task}: {sum(n['kept'] for n in t)} kept of {len(t)} trained.")
    rest = [n for n in drawn if "outcome" not in n]
    if rest:
        unfinished = [n for n in rest if n["chosen"]]
        lines += ["", f"Not run: {len(rest)} drawn networks (predicted "
                  f"{hours(sum(n['predicted_cpu'] for n in rest))} CPU hours), of which "
                  f"{len(unfinished)} were chosen within the budget but not reached. Each is one "
                  "sweep of its own, whose config the sample mode writes into "
                  "`out/paper-cost/sample/`. To train them all (finished ones are kept), or the "
                  "chosen ones only, or one of them:", "", "```sh",
                  "/usr/bin/python3 scripts/paper_cost.py sample --all      # nice 10, one thread",
                  f"/usr/bin/python3 scripts/paper_cost.py sample --budget-minutes "
                  f"{sample['budget_cpu_seconds'] / 60:.0f}",
                  "build/release/apps/rnnatlas/" + rest[0]["command"], "```"]
    return "\n".join(lines + ["", END])


def replace_between(text, begin, new) -> str:
    if begin not in text:
        sys.exit(f"paper_cost: the doc has no {begin!r} marker")
    head, rest = text.split(begin, 1)
    if END not in rest:
        sys.exit(f"paper_cost: the doc has no {END!r} after {begin!r}")
    return head + new + rest.split(END, 1)[1]


def write_doc(args):
    data = {}
    for mode in ["train", "dynamics", "compare", "topology", "sample"]:
        path = args.data / f"{mode}.json"
        data[mode] = json.loads(path.read_text()) if path.exists() else None
    doc = pathlib.Path(args.doc)
    text = doc.read_text()
    if all(data[m] for m in ["train", "dynamics", "compare", "topology"]):
        text = replace_between(text, COST_BEGIN, cost_text(data))
    if data["sample"]:
        text = replace_between(text, SAMPLE_BEGIN, sample_text(data))
    doc.write_text(text)
    print(f"paper_cost: wrote {doc}", file=sys.stderr)


# ---- main ------------------------------------------------------------------------------------

def load(args, mode) -> dict:
    path = args.data / f"{mode}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        print(f"paper_cost: {path} not found; run `scripts/paper_cost.py {mode}` first",
              file=sys.stderr)
        sys.exit(2)


def save(args, mode, record):
    args.data.mkdir(parents=True, exist_ok=True)
    path = args.data / f"{mode}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)
    print(f"paper_cost: wrote {path}", file=sys.stderr)


MEASURE = {"train": measure_train, "dynamics": measure_dynamics, "compare": measure_compare, "topology": measure_topology,
           "sample": measure_sample}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=list(MEASURE) + ["write"])
    parser.add_argument("--cli", default=str(CLI), help="the rnnatlas program (default: the build's)")
    parser.add_argument("--work", default=str(ROOT / "out" / "paper-cost"),
                        help="scratch directory for the runs")
    parser.add_argument("--data", default=str(ROOT / "docs" / "paper-scale"),
                        help="where the measurements are stored as JSON")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "paper-scale.md"))
    parser.add_argument("--iterations", type=int, default=30,
                        help="train: minibatches of the long run of each class")
    parser.add_argument("--short-iterations", type=int, default=5,
                        help="train: minibatches of the short run of each class")
    parser.add_argument("--budget-minutes", type=float, default=90,
                        help="sample: CPU minutes (one core) the trained part may take")
    parser.add_argument("--networks", nargs="*", default=[],
                        help="dynamics: network files; topology: sweep directories with dynamics")
    parser.add_argument("--sine-stride", type=int, default=17,
                        help="dynamics: analyse every k-th sine input and scale to all 51")
    parser.add_argument("--sample-kept", action="store_true",
                        help="dynamics: also the kept networks of the trained sample")
    parser.add_argument("--append", action="store_true",
                        help="dynamics: add the runs to those of DATA/dynamics.json")
    parser.add_argument("--all", action="store_true",
                        help="sample: train every drawn network, whatever the budget")
    args = parser.parse_args(argv)
    args.work = pathlib.Path(args.work).resolve()
    args.data = pathlib.Path(args.data)
    return args


def main(argv) -> int:
    args = parse_args(argv)
    if args.mode in MEASURE:
        save(args, args.mode, MEASURE[args.mode](args))
    write_doc(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
