"""A small synthetic pipeline output (docs/pipeline.md), written with h5py, for the report tests.

    make_pipeline_output(root) -> root/<task>/{manifest.csv, summary.csv, dynamics/<id>.h5,
                                               similarity/{svcca,topology,cka}[.embedding].h5}

Every file has the layout, dtypes and attributes the contract gives, with values chosen so that
the report's numbers are known in closed form (see the constants below): the networks of the
fixture reproduce every claim of docs/study.md section 7.
"""

from __future__ import annotations

import csv
import pathlib

import h5py
import numpy as np

import rnnatlas

CELLS = ("vanilla", "ugrnn", "gru", "lstm")
ACTIVATIONS = ("tanh", "relu")
N_PER_GROUP = 2  # kept networks per cell x activation
N_HIDDEN = 4
TASKS = ("flip_flop", "sine_wave", "context_integration")

# Per group the manifest also lists one network that was not kept; in vanilla/relu it diverged.
DIVERGED_GROUP = ("vanilla", "relu")

# flip-flop: every network has the 8 corners, 12/6/1 saddles, except this one (7 corners).
FLIP_FLOP_SHORT_NETWORK = 0  # index among the kept networks
ONE_BIT_TRANSITIONS = 24  # per network: the 12 one-unstable-dimension saddles reach 2 corners each
EXTRA_TRANSITIONS_NETWORK = 1  # this one also has 2 transitions to corners 2 bits apart

# sine wave: predicted = PREDICTED_SLOPE * target exactly, measured = target exactly.
SINE_FREQUENCIES = 0.1 + 0.5 * np.arange(6) / 5
PREDICTED_SLOPE = 0.9
SINE_MISSING_NETWORK = 2  # has no unstable complex pair at its last input

# context integration: 5 marginal points per context; modes for 90%: vanilla 1, gated 4.
CDI_MARGINAL_POINTS = 5
CDI_MODES = {"vanilla": 1, "ugrnn": 4, "gru": 4, "lstm": 4}

# cluster statistics written into the embedding files: metric -> label -> attributes.
CLUSTER_STATS = {
    "svcca": {
        "cell": dict(silhouette=0.52, silhouette_p_value=0.001, knn_accuracy=0.9375,
                     knn_p_value=0.001, majority_accuracy=0.25, n_groups=4),
        "activation": dict(silhouette=0.21, silhouette_p_value=0.002, knn_accuracy=0.875,
                           knn_p_value=0.003, majority_accuracy=0.5, n_groups=2),
    },
    "topology": {
        "cell": dict(silhouette=-0.02, silhouette_p_value=0.61, knn_accuracy=0.25,
                     knn_p_value=0.47, majority_accuracy=0.25, n_groups=4),
        "activation": dict(silhouette=0.01, silhouette_p_value=0.4, knn_accuracy=0.5,
                           knn_p_value=0.52, majority_accuracy=0.5, n_groups=2),
    },
    "cka": {
        "cell": dict(silhouette=0.4, silhouette_p_value=0.001, knn_accuracy=0.875,
                     knn_p_value=0.001, majority_accuracy=0.25, n_groups=4),
        "activation": dict(silhouette=0.1, silhouette_p_value=0.05, knn_accuracy=0.75,
                           knn_p_value=0.02, majority_accuracy=0.5, n_groups=2),
    },
}

STRING = h5py.string_dtype(encoding="utf-8")


def _root_attributes(f: h5py.File, file_format: str) -> None:
    f.attrs["format"] = file_format
    f.attrs["format_version"] = np.int64(1)
    f.attrs["library_version"] = "0.1.0-fixture"
    f.attrs["created"] = "2024-01-01T00:00:00Z"


def _strings(values) -> np.ndarray:
    return np.array(list(values), dtype=STRING)


class Network:
    def __init__(self, index: int, cell: str, activation: str, seed: int, kept: bool,
                 outcome: str):
        self.index, self.cell, self.activation, self.seed = index, cell, activation, seed
        self.kept, self.outcome = kept, outcome
        self.id = f"{index:04d}-{cell}-{activation}-h{N_HIDDEN}-s{seed}"
        self.n_state = 2 * N_HIDDEN if cell == "lstm" else N_HIDDEN


def population(n_per_group: int = N_PER_GROUP) -> list[Network]:
    """All networks of the manifest, in index order: per group n_per_group kept, then 1 not."""
    out = []
    for cell in CELLS:
        for activation in ACTIVATIONS:
            for seed in range(n_per_group + 1):
                kept = seed < n_per_group
                outcome = ("diverged" if not kept and (cell, activation) == DIVERGED_GROUP
                           else "completed")
                out.append(Network(len(out), cell, activation, seed, kept, outcome))
    return out


def kept_networks(n_per_group: int = N_PER_GROUP) -> list[Network]:
    return [n for n in population(n_per_group) if n.kept]


# ---- manifest and summary ----------------------------------------------------------------------

MANIFEST_COLUMNS = [
    "index", "id", "grid_index", "cell", "activation", "n_hidden", "learning_rate",
    "lr_decay_rate", "lr_decay_steps", "l2", "n_iterations", "n_batch", "gradient_clip_norm",
    "adam_beta1", "adam_beta2", "adam_epsilon", "divergence_factor", "seed", "init_seed",
    "train_seed", "outcome", "n_iterations_done", "final_loss", "mse", "normalized_mse",
    "sign_accuracy", "kept", "seconds", "file",
]


def _nmse(n: Network) -> float:
    if n.outcome == "diverged":
        return float("nan")
    return 0.002 * (1 + n.seed) if n.kept else 0.05


def write_manifest(task_dir: pathlib.Path, networks: list[Network]) -> None:
    with open(task_dir / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        for n in networks:
            nmse = _nmse(n)
            writer.writerow([
                n.index, n.id, n.index // 3, n.cell, n.activation, N_HIDDEN, 0.001, 1, 0, 0,
                300, 64, 10, 0.9, 0.999, 1e-08, 1000, n.seed, 1000 + n.index, 2000 + n.seed,
                n.outcome, 300, nmse / 10, nmse / 10, nmse, 0.99, int(n.kept), 1.5,
                f"networks/{n.id}.h5",
            ])


def write_summary(task_dir: pathlib.Path, networks: list[Network]) -> None:
    with open(task_dir / "summary.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["cell", "activation", "networks", "trained", "kept", "diverged",
                         "median_normalized_mse", "seconds"])
        for cell in CELLS:
            for activation in ACTIVATIONS:
                group = [n for n in networks if (n.cell, n.activation) == (cell, activation)]
                nmse = [_nmse(n) for n in group if np.isfinite(_nmse(n))]
                writer.writerow([cell, activation, len(group), len(group),
                                 sum(n.kept for n in group),
                                 sum(n.outcome == "diverged" for n in group),
                                 float(np.median(nmse)), 1.5 * len(group)])


# ---- dynamics files ----------------------------------------------------------------------------


def _embedding_matrix(n: Network, k: int) -> np.ndarray:
    """A fixed random [n_state, k] map from task variables to states (per network)."""
    return np.random.default_rng(n.index).normal(size=(n.n_state, k)) / np.sqrt(k)


def _write_condition(group: h5py.Group, label: str, u: np.ndarray, states: np.ndarray,
                     n_unstable: np.ndarray, readout: np.ndarray, modulus: np.ndarray,
                     angle: np.ndarray) -> None:
    """One /conditions/<k> group; ``modulus``/``angle`` [n_points, n_state] sorted descending."""
    n_points, n_state = states.shape
    group.attrs["label"] = label
    for key, value in (("n_candidates", 64), ("n_converged", 60), ("n_slow", 0),
                       ("n_merged", 60 - n_points), ("n_outliers", 0), ("n_points", n_points),
                       ("n_unresolved", 0), ("n_unmatched", 0)):
        group.attrs[key] = np.int64(value)
    group["input"] = u.astype(np.float64)
    group["states"] = states.astype(np.float64)
    group["q"] = np.full(n_points, 1e-30)
    group["is_slow"] = np.zeros(n_points, dtype=np.uint8)
    group["eigenvalues_real"] = modulus * np.cos(angle)
    group["eigenvalues_imag"] = modulus * np.sin(angle)
    group["n_unstable"] = n_unstable.astype(np.int64)
    marginal = np.any(np.abs(modulus - 1) < 1e-3, axis=1)
    stability = np.where(n_unstable == 0, np.where(marginal, 1, 0),
                         np.where(n_unstable == n_state, 3, 2))
    group["stability"] = stability.astype(np.int64)
    leading = np.full(n_points, np.nan)
    complex_rows = np.abs(angle[:, 0]) > 0
    leading[complex_rows] = np.abs(angle[complex_rows, 0])
    group["leading_frequency"] = leading
    group["readout"] = readout.astype(np.float64)
    group["transitions"] = np.zeros((n_points, n_points), dtype=np.int64)


def _spectrum(n_points: int, n_state: int, n_unstable: np.ndarray) -> np.ndarray:
    modulus = np.full((n_points, n_state), 0.5)
    for i, k in enumerate(n_unstable):
        modulus[i, :k] = 1.2
    return modulus


def _ternary_labels(n_bits: int = 3) -> np.ndarray:
    grids = np.meshgrid(*([np.array([-1, 0, 1])] * n_bits), indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)  # row-major ternary order


def _flip_flop_trajectories(n: Network, n_trials=4, n_time=50):
    rng = np.random.default_rng(7)  # the same trials for every network
    inputs = np.zeros((n_trials, n_time, 3))
    inputs[:, 0, :] = rng.choice([-1.0, 1.0], size=(n_trials, 3))
    pulses = rng.random((n_trials, n_time, 3)) < 0.05
    inputs[pulses] = rng.choice([-1.0, 1.0], size=pulses.sum())
    targets = np.zeros_like(inputs)
    for t in range(n_time):
        previous = targets[:, t - 1] if t > 0 else np.zeros((n_trials, 3))
        targets[:, t] = np.where(inputs[:, t] != 0, inputs[:, t], previous)
    outputs = targets + 0.05 * np.random.default_rng(n.index).normal(size=targets.shape)
    states = np.tanh(outputs @ _embedding_matrix(n, 3).T)
    return inputs, targets, outputs, states


def _write_flip_flop(f: h5py.File, n: Network, position: int):
    labels = _ternary_labels()
    n_zero = np.sum(labels == 0, axis=1)
    keep = np.ones(len(labels), dtype=bool)
    if position == FLIP_FLOP_SHORT_NETWORK:
        keep[np.flatnonzero(n_zero == 0)[0]] = False  # one corner missing
    labels, n_unstable = labels[keep], n_zero[keep]
    states = np.tanh(labels @ _embedding_matrix(n, 3).T)
    n_points = len(labels)
    modulus = _spectrum(n_points, n.n_state, n_unstable)
    _write_condition(f.create_group("conditions/0"), "zero input", np.zeros(3), states,
                     n_unstable, labels.astype(np.float64), modulus, np.zeros_like(modulus))
    a = f.create_group("analysis")
    a.attrs["task"] = "flip_flop"
    a["labels"] = labels.astype(np.int64)
    n_stable = int(np.sum(n_unstable == 0))
    a.attrs["n_stable"] = np.int64(n_stable)
    a.attrs["n_stable_corners"] = np.int64(n_stable)
    a.attrs["n_saddles"] = np.int64(np.sum(n_unstable > 0))
    a["count_by_unstable"] = np.bincount(n_unstable, minlength=n.n_state + 1).astype(np.int64)
    extra = 2 if position == EXTRA_TRANSITIONS_NETWORK else 0
    a.attrs["corner_transitions_one_bit"] = np.int64(ONE_BIT_TRANSITIONS)
    a.attrs["corner_transitions_total"] = np.int64(ONE_BIT_TRANSITIONS + extra)
    signature = np.zeros((1, 5), dtype=np.int64)
    signature[0, :4] = np.bincount(n_unstable, minlength=4)[:4]
    t = f.create_group("topology")
    t["signature"] = signature
    graph = np.zeros((27, 27), dtype=np.int64)
    index = ((labels + 1) * np.array([9, 3, 1])).sum(axis=1)
    graph[index, index] = 1
    t["label_graph"] = graph
    return _flip_flop_trajectories(n)


def _write_sine_wave(f: h5py.File, n: Network, position: int):
    w = SINE_FREQUENCIES
    u = np.arange(1, w.size + 1) / w.size + 0.25
    predicted = PREDICTED_SLOPE * w
    has = np.ones(w.size, dtype=bool)
    if position == SINE_MISSING_NETWORK:
        has[-1] = False
        predicted = predicted.copy()
        predicted[-1] = np.nan
    embed = _embedding_matrix(n, 2)
    signature = np.zeros((w.size, 5), dtype=np.int64)
    for j in range(w.size):
        n_unstable = np.array([2 if has[j] else 0])
        modulus = _spectrum(1, n.n_state, n_unstable)
        angle = np.zeros_like(modulus)
        if has[j]:
            angle[0, :2] = [predicted[j], -predicted[j]]
        _write_condition(f.create_group(f"conditions/{j}"), f"u = {u[j]:.4f} (w = {w[j]:.2f})",
                         np.array([u[j]]), np.zeros((1, n.n_state)), n_unstable, np.zeros((1, 1)),
                         modulus, angle)
        signature[j, min(int(n_unstable[0]), 4)] += 1
    a = f.create_group("analysis")
    a.attrs["task"] = "sine_wave"
    a["target_frequency"] = w
    a["predicted_frequency"] = predicted
    a["measured_frequency"] = w.copy()
    a["has_unstable_complex"] = has.astype(np.uint8)
    f.create_group("topology")["signature"] = signature
    n_trials, n_time = 3, 60
    time = np.arange(1, n_time + 1)
    trial_w = w[[0, 2, 5]]
    inputs = np.broadcast_to(u[[0, 2, 5], None, None], (n_trials, n_time, 1)).copy()
    targets = np.sin(trial_w[:, None] * time)[:, :, None]
    outputs = 0.97 * targets
    phase = trial_w[:, None] * time
    states = np.tanh(np.stack([np.cos(phase), np.sin(phase)], axis=2) @ embed.T)
    return inputs, targets, outputs, states


def _write_context_integration(f: h5py.File, n: Network, position: int):
    n_state = n.n_state
    embed = _embedding_matrix(n, 3)
    modes = CDI_MODES[n.cell]
    k = np.arange(1, n_state + 1)
    if modes == 1:
        response = np.minimum(1.0, 0.95 + 0.05 * (k - 1) / max(1, n_state - 1))
        spectrum = np.concatenate([[1.0], np.full(n_state - 1, 0.3)])
    else:
        response = np.minimum(1.0, k * 0.9 / modes + 1e-9)
        spectrum = np.concatenate([[1.0], np.linspace(0.95, 0.6, n_state - 1)])
    a = f.create_group("analysis")
    a.attrs["task"] = "context_integration"
    a.attrs["line_attractor_tol"] = 1.0 / 40  # 1 / n_time, the resolved default
    signature = np.zeros((2, 5), dtype=np.int64)
    for c in range(2):
        line = np.linspace(-1, 1, CDI_MARGINAL_POINTS)
        variables = np.zeros((CDI_MARGINAL_POINTS, 3))
        variables[:, c] = line
        variables[:, 2] = 0.5 if c == 0 else -0.5
        states = np.tanh(variables @ embed.T)
        modulus = np.tile(spectrum, (CDI_MARGINAL_POINTS, 1))
        _write_condition(f.create_group(f"conditions/{c}"), f"context {c + 1}",
                         np.eye(4)[2 + c], states, np.zeros(CDI_MARGINAL_POINTS, dtype=np.int64),
                         line[:, None], modulus, np.zeros_like(modulus))
        signature[c, 0] = CDI_MARGINAL_POINTS
    a["n_points"] = np.full(2, CDI_MARGINAL_POINTS, dtype=np.int64)
    a["n_marginal_points"] = np.full(2, CDI_MARGINAL_POINTS, dtype=np.int64)
    a["eigenvalue_modulus"] = np.tile(spectrum, (2, 1))
    a["mode_response"] = np.tile(response, (2, 1))
    a["n_modes_90"] = np.full(2, modes, dtype=np.int64)
    f.create_group("topology")["signature"] = signature
    rng = np.random.default_rng(11)
    n_trials, n_time = 4, 40
    mu = rng.uniform(-0.1, 0.1, size=(n_trials, 2))
    streams = mu[:, None, :] + 0.1 * rng.normal(size=(n_trials, n_time, 2))
    context = np.zeros((n_trials, n_time, 2))
    context[np.arange(n_trials) % 2 == 0, :, 0] = 1
    context[np.arange(n_trials) % 2 == 1, :, 1] = 1
    inputs = np.concatenate([streams, context], axis=2)
    relevant = np.where(context[:, :, :1] == 1, streams[:, :, :1], streams[:, :, 1:])
    targets = np.cumsum(relevant, axis=1) / 2
    outputs = targets + 0.02 * np.random.default_rng(n.index).normal(size=targets.shape)
    variables = np.concatenate([outputs * context, context[:, :, :1] - 0.5], axis=2)
    states = np.tanh(variables @ embed.T)
    return inputs, targets, outputs, states


TASK_SHAPES = {"flip_flop": (3, 3, 1), "sine_wave": (1, 1, 6), "context_integration": (4, 1, 2)}
WRITERS = {"flip_flop": _write_flip_flop, "sine_wave": _write_sine_wave,
           "context_integration": _write_context_integration}


def write_dynamics(path: pathlib.Path, task: str, n: Network, position: int) -> None:
    n_input, n_output, n_conditions = TASK_SHAPES[task]
    with h5py.File(path, "w") as f:
        _root_attributes(f, "rnnatlas.dynamics")
        for key, value in (("network_id", n.id), ("network_file", f"networks/{n.id}.h5"),
                           ("task", task), ("cell", n.cell), ("activation", n.activation)):
            f.attrs[key] = value
        for key, value in (("n_hidden", N_HIDDEN), ("n_state", n.n_state), ("n_input", n_input),
                           ("n_output", n_output), ("n_conditions", n_conditions)):
            f.attrs[key] = np.int64(value)
        options = f.create_group("options")  # the defaults, every stored field
        for field in rnnatlas.AnalysisOptions.schema():
            if field["stored"]:
                value = field["default"]
                options.attrs[field["name"]] = (np.uint8(value) if field["type"] == "bool" else
                                                np.int64(value) if field["type"] == "int" else
                                                np.float64(value))
        inputs, targets, outputs, states = WRITERS[task](f, n, position)
        g = f.create_group("trajectories")
        g["inputs"], g["targets"] = inputs.astype(np.float64), targets.astype(np.float64)
        g["outputs"], g["states"] = outputs.astype(np.float64), states.astype(np.float64)


# ---- similarity files --------------------------------------------------------------------------


def distances_for(metric: str, networks: list[Network]) -> np.ndarray:
    """SVCCA and CKA: organised by architecture (and a little by nonlinearity); topology: small
    and unstructured."""
    n = len(networks)
    rng = np.random.default_rng({"svcca": 1, "cka": 2, "topology": 3}[metric])
    noise = rng.uniform(0, 0.05, size=(n, n))
    if metric == "topology":
        d = 0.02 + noise
    else:
        cells = np.array([x.cell for x in networks])
        activations = np.array([x.activation for x in networks])
        d = (0.1 + 0.4 * (cells[:, None] != cells[None, :])
             + 0.15 * (activations[:, None] != activations[None, :]) + noise)
    d = (d + d.T) / 2
    np.fill_diagonal(d, 0)
    return d


def classical_mds(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = d.shape[0]
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d**2) @ j
    values, vectors = np.linalg.eigh(b)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    return vectors[:, :2] * np.sqrt(np.maximum(values[:2], 0)), values


def write_similarity(task_dir: pathlib.Path, networks: list[Network], metric: str) -> None:
    directory = task_dir / "similarity"
    directory.mkdir(exist_ok=True)
    d = distances_for(metric, networks)
    ids = _strings(n.id for n in networks)
    with h5py.File(directory / f"{metric}.h5", "w") as f:
        _root_attributes(f, "rnnatlas.distances")
        f.attrs["metric"] = metric
        params = f.create_group("params")
        if metric == "svcca":
            params.attrs["k"] = np.int64(10)
        f["network_ids"] = ids
        f["distances"] = d
        labels = f.create_group("labels")
        labels["cell"] = _strings(n.cell for n in networks)
        labels["activation"] = _strings(n.activation for n in networks)
        labels["n_hidden"] = np.full(len(networks), N_HIDDEN, dtype=np.int64)
        labels["l2"] = np.zeros(len(networks))
        labels["learning_rate"] = np.full(len(networks), 1e-3)
        labels["seed"] = np.array([n.seed for n in networks], dtype=np.int64)
    coordinates, eigenvalues = classical_mds(d)
    with h5py.File(directory / f"{metric}.embedding.h5", "w") as f:
        _root_attributes(f, "rnnatlas.embedding")
        f.attrs["metric"] = metric
        f["network_ids"] = ids
        f["classical"] = coordinates
        f["classical_eigenvalues"] = eigenvalues
        f["smacof"] = coordinates * 1.01
        f.attrs["stress"] = 0.8
        f.attrs["normalized_stress"] = 0.12
        for label, stats in CLUSTER_STATS[metric].items():
            g = f.create_group(f"cluster/{label}")
            for key, value in stats.items():  # n_groups, k, n_permutations are int64
                g.attrs[key] = np.int64(value) if key == "n_groups" else float(value)
            g.attrs["k"] = np.int64(5)
            g.attrs["n_permutations"] = np.int64(999)


# ---- the whole tree ----------------------------------------------------------------------------


def make_pipeline_output(root: pathlib.Path, tasks=TASKS, n_per_group: int = N_PER_GROUP,
                         metrics=("svcca", "topology", "cka")) -> pathlib.Path:
    """Writes the synthetic OUT tree under ``root`` and returns ``root``."""
    root = pathlib.Path(root)
    networks = population(n_per_group)
    kept = [n for n in networks if n.kept]
    for task in tasks:
        task_dir = root / task
        (task_dir / "dynamics").mkdir(parents=True)
        write_manifest(task_dir, networks)
        write_summary(task_dir, networks)
        for position, n in enumerate(kept):
            write_dynamics(task_dir / "dynamics" / f"{n.id}.h5", task, n, position)
        for metric in metrics:
            write_similarity(task_dir, kept, metric)
    return root


if __name__ == "__main__":
    import sys

    print(make_pipeline_output(pathlib.Path(sys.argv[1])))
