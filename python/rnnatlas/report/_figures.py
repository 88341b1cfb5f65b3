"""The figures of the report, one function per figure.

Each function takes a task's data (and its numbers) and returns ``(Figure, caption)``, or raises
``NotRun`` naming what is missing. Figures are built on ``matplotlib.figure.Figure`` directly (no
pyplot state), rendered by Agg. Colours are the Okabe-Ito palette, fixed per architecture; each
nonlinearity has its own marker and line style, so every plot reads in grey scale too.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable, Optional

import matplotlib
from matplotlib.figure import Figure  # no pyplot: no global state, no window, Agg renders
from matplotlib.lines import Line2D
import numpy as np

from . import _analysis
from ._analysis import ARCHITECTURES, NONLINEARITIES, order_key, sorted_architectures
from ._files import Distances, Dynamics, TaskData, read_fixed_points, read_trajectories

# Okabe & Ito (2008), "Color universal design".
ARCHITECTURE_COLOURS = {
    "vanilla": "#E69F00",  # orange
    "ugrnn": "#56B4E9",  # sky blue
    "gru": "#009E73",  # bluish green
    "lstm": "#CC79A7",  # reddish purple
}
NONLINEARITY_COLOURS = {
    "tanh": "#0072B2",  # blue
    "relu": "#D55E00",  # vermillion
    "softplus": "#000000",
    "linear": "#999999",
}
NONLINEARITY_MARKERS = {"tanh": "o", "relu": "^", "softplus": "s", "linear": "D"}
NONLINEARITY_LINES = {"tanh": "-", "relu": "--", "softplus": ":", "linear": "-."}
CHANNEL_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
PAIR_COLOURS = {"same architecture": "#0072B2", "different architecture": "#D55E00"}
UNSTABLE_LABELS = ("0 (stable)", "1", "2", "3", ">= 4")
MAX_SCATTER_PAIRS = 4000  # pairs drawn in the SVCCA vs topology scatter (a random subset)
MAX_TRAJECTORIES = 8  # trials drawn in the PCA panels
MAX_MODES = 20  # modes shown in the CDI spectra and mode-response plots

TASK_TITLES = {
    "flip_flop": "3-bit flip-flop",
    "sine_wave": "sine-wave generation",
    "context_integration": "context-dependent integration",
}
CHANNEL_NAMES = {  # (inputs, outputs) of each task, used when the channel counts match
    "flip_flop": (["bit 1 pulses", "bit 2 pulses", "bit 3 pulses"], ["bit 1", "bit 2", "bit 3"]),
    "sine_wave": (["static input u"], ["sin(w t)"]),
    "context_integration": (["evidence 1", "evidence 2", "context 1", "context 2"],
                            ["integral"]),
}
METRIC_TITLES = {
    "svcca": "SVCCA distance (1 - mean canonical correlation)",
    "topology": "topology distance (fixed-point graphs)",
}

STYLE = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


class NotRun(Exception):
    """A figure whose input has not been produced; the message says which."""


def _colour(cell: str) -> str:
    return ARCHITECTURE_COLOURS.get(cell, "#666666")


def _marker(activation: str) -> str:
    return NONLINEARITY_MARKERS.get(activation, "P")


def _linestyle(activation: str) -> str:
    return NONLINEARITY_LINES.get(activation, (0, (1, 3)))


def _unstable_colours() -> list:
    return [matplotlib.colormaps["viridis"](v) for v in np.linspace(0.0, 0.85, 5)]


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _task_title(task: str) -> str:
    return TASK_TITLES.get(task, task.replace("_", " "))


def _legend_handles(cells: list[str], activations: list[str]) -> list[Line2D]:
    """Proxy handles: one colour patch per architecture, one grey marker per nonlinearity."""
    handles = [
        Line2D([], [], color=_colour(c), marker="o", linestyle="none", label=c) for c in cells
    ]
    handles += [
        Line2D([], [], color="#444444", marker=_marker(a), linestyle="none", markerfacecolor="none",
               label=a)
        for a in activations
    ]
    return handles


def _representatives(dynamics: list[Dynamics]) -> list[Dynamics]:
    """One network per architecture (the first by nonlinearity order, then id) with trajectories."""
    out = []
    for cell in sorted_architectures(d.cell for d in dynamics):
        members = [d for d in dynamics if d.cell == cell and d.has_trajectories]
        if members:
            out.append(min(members, key=lambda d: (order_key(d.activation, NONLINEARITIES),
                                                   d.network_id)))
    return out


def _describe(d: Dynamics) -> str:
    return f"{d.network_id} ({d.cell}, {d.activation}, {d.n_hidden} units)"


def _include_zero_if_flat(ax) -> None:
    """Extends the y range to 0 when the data vary little around a large value, so that noise
    around a constant (a held bit, a context channel) does not fill the panel."""
    low, high = ax.get_ylim()
    if high - low < 0.25 * max(abs(low), abs(high)):
        ax.set_ylim(min(low, 0.0), max(high, 0.0))


# ---- example trial -----------------------------------------------------------------------------


def example_trial(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    networks = _representatives(data.dynamics)
    if not networks:
        raise NotRun("no dynamics file with /trajectories")
    network = networks[0]
    t = read_trajectories(network.path)
    n_in, n_out = t.inputs.shape[2], t.outputs.shape[2]
    rows = n_in + n_out
    fig = _figure(7.0, 0.55 + 0.75 * rows)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    time = np.arange(t.inputs.shape[1])
    in_names, out_names = CHANNEL_NAMES.get(data.name, ([], []))
    if len(in_names) != n_in or len(out_names) != n_out:
        in_names = [f"input {i + 1}" for i in range(n_in)]
        out_names = [f"output {j + 1}" for j in range(n_out)]
    for i in range(n_in):
        ax = axes[i]
        ax.plot(time, t.inputs[0, :, i], color="#444444", linewidth=0.9, drawstyle="steps-post")
        ax.set_ylabel(f"{in_names[i]}\n(a.u.)")
        _include_zero_if_flat(ax)
    for j in range(n_out):
        ax = axes[n_in + j]
        colour = CHANNEL_COLOURS[j % len(CHANNEL_COLOURS)]
        ax.plot(time, t.targets[0, :, j], color="black", linestyle="--", linewidth=1.0,
                label="target")
        ax.plot(time, t.outputs[0, :, j], color=colour, linewidth=1.2, label="network output")
        ax.set_ylabel(f"{out_names[j]}\n(a.u.)")
        _include_zero_if_flat(ax)
        if j == 0:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axes[-1].set_xlabel("time step")
    fig.suptitle(f"{_task_title(data.name)}: example held-out trial, network {_describe(network)}",
                 fontsize=9)
    caption = (
        f"One held-out trial of network {network.network_id}: the inputs (grey), the target "
        f"(dashed) and the network's output (colour) on each output channel. All networks see "
        f"the same trials."
    )
    return fig, caption


# ---- PCA with fixed points ---------------------------------------------------------------------


def _pca(states: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean [n_state], components [n_state, k], explained variance fractions [k]) of the rows."""
    mean = states.mean(axis=0)
    _, s, vt = np.linalg.svd(states - mean, full_matrices=False)
    variance = s**2
    k = min(n_components, vt.shape[0])
    total = variance.sum()
    fractions = variance[:k] / total if total > 0 else np.zeros(k)
    return mean, vt[:k].T, fractions


def _pca_axes(ax, fractions: np.ndarray) -> None:
    ax.set_xlabel(f"PC 1 ({fractions[0]:.0%} of variance, a.u.)")
    ax.set_ylabel(f"PC 2 ({fractions[1] if fractions.size > 1 else 0:.0%} of variance, a.u.)")


def _trajectory_panel(ax, network: Dynamics):
    """Draws the first trials in the plane of the first two PCs; returns the projection."""
    t = read_trajectories(network.path)
    states = t.states.reshape(-1, t.states.shape[2])
    mean, components, fractions = _pca(states)
    if components.shape[1] < 2:  # a one-unit network: pad with a zero axis
        components = np.hstack([components, np.zeros((components.shape[0], 1))])
        fractions = np.append(fractions, 0.0)

    def project(x: np.ndarray) -> np.ndarray:
        return (x - mean) @ components

    for trial in t.states[:MAX_TRAJECTORIES]:
        p = project(trial)
        ax.plot(p[:, 0], p[:, 1], color="#BBBBBB", linewidth=0.6, zorder=1)
    _pca_axes(ax, fractions)
    return project


def _panel_grid(n: int, height: float = 2.7) -> tuple[Figure, list]:
    columns = min(n, 4)
    rows = (n + columns - 1) // columns
    fig = _figure(2.6 * columns + 0.3, height * rows + 0.4)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def pca_fixed_points(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    networks = _representatives(data.dynamics)
    if not networks:
        raise NotRun("no dynamics file with /trajectories")
    colours = _unstable_colours()
    fig, axes = _panel_grid(len(networks))
    present = set()
    for ax, network in zip(axes, networks):
        project = _trajectory_panel(ax, network)
        for condition in read_fixed_points(network.path):
            if condition.states.shape[0] == 0:
                continue
            p = project(condition.states)
            bins = np.minimum(condition.n_unstable, 4)
            present.update(bins.tolist())
            ax.scatter(p[:, 0], p[:, 1], c=[colours[b] for b in bins], s=16, linewidths=0.4,
                       edgecolors="white", zorder=3)
        ax.set_title(f"{network.cell} ({network.activation}, {network.n_hidden} units)",
                     color=_colour(network.cell))
    handles = [Line2D([], [], color=colours[b], marker="o", linestyle="none",
                      label=UNSTABLE_LABELS[b]) for b in sorted(present)]
    handles.append(Line2D([], [], color="#BBBBBB", label="trajectories"))
    axes[-1].legend(handles=handles, title="unstable dimensions", loc="center left",
                    bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(f"{_task_title(data.name)}: hidden-state trajectories and fixed points "
                 f"(PCA, one network per architecture)", fontsize=9)
    caption = (
        "Hidden-state trajectories of held-out trials (grey) projected on their first two "
        "principal components, with the fixed points of every constant input, coloured by their "
        "number of unstable dimensions (|lambda| > 1). One network per architecture."
    )
    return fig, caption


# ---- distance matrices and MDS -----------------------------------------------------------------


def _labels_of(distances: Distances, key: str) -> list[str]:
    values = distances.labels.get(key)
    if values is None:
        return ["?"] * len(distances.network_ids)
    return [str(v) for v in values]


def _sorted_order(cells: list[str], activations: list[str], ids: list[str]) -> list[int]:
    return sorted(
        range(len(ids)),
        key=lambda i: (order_key(cells[i], ARCHITECTURES),
                       order_key(activations[i], NONLINEARITIES), ids[i]),
    )


def _matrix_panel(ax, fig, distances: Distances, metric: str) -> None:
    cells = _labels_of(distances, "cell")
    activations = _labels_of(distances, "activation")
    order = _sorted_order(cells, activations, distances.network_ids)
    d = distances.distances[np.ix_(order, order)]
    n = len(order)
    image = ax.imshow(d, cmap="viridis", interpolation="nearest", aspect="equal")
    colourbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colourbar.set_label(METRIC_TITLES.get(metric, f"{metric} distance"))
    groups = [(cells[i], activations[i]) for i in order]
    starts = [0] + [k for k in range(1, n) if groups[k] != groups[k - 1]]
    ends = starts[1:] + [n]
    for start in starts[1:]:
        ax.axhline(start - 0.5, color="white", linewidth=0.8)
        ax.axvline(start - 0.5, color="white", linewidth=0.8)
    centres = [(s + e - 1) / 2 for s, e in zip(starts, ends)]
    names = [f"{groups[s][0]} {groups[s][1]}" for s in starts]
    ax.set_xticks(centres, names, rotation=90)
    ax.set_yticks(centres, names)
    for tick, s in zip(ax.get_xticklabels(), starts):
        tick.set_color(_colour(groups[s][0]))
    for tick, s in zip(ax.get_yticklabels(), starts):
        tick.set_color(_colour(groups[s][0]))
    ax.tick_params(length=0)
    ax.set_title(f"{n} networks, sorted by architecture and nonlinearity")


def _mds_panels(axes, data: TaskData, metric: str, distances: Distances) -> Optional[str]:
    """Draws the MDS coloured by architecture and by nonlinearity; returns the caption's note."""
    embedding = data.embeddings.get(metric)
    if embedding is None:
        for ax in axes:
            ax.text(0.5, 0.5, f"MDS not run\n(similarity/{metric}.embedding.h5 not found)",
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        return None
    label_of = {
        key: dict(zip(distances.network_ids, _labels_of(distances, key)))
        for key in ("cell", "activation")
    }
    cells = [label_of["cell"].get(i, "?") for i in embedding.network_ids]
    activations = [label_of["activation"].get(i, "?") for i in embedding.network_ids]
    xy = embedding.coordinates
    cell_list = sorted_architectures(cells)
    activation_list = sorted(set(activations), key=lambda a: order_key(a, NONLINEARITIES))
    for ax, by in zip(axes, ("cell", "activation")):
        for cell in cell_list:
            for activation in activation_list:
                mask = np.array([c == cell and a == activation
                                 for c, a in zip(cells, activations)])
                if not mask.any():
                    continue
                colour = _colour(cell) if by == "cell" else NONLINEARITY_COLOURS.get(activation,
                                                                                    "#666666")
                ax.scatter(xy[mask, 0], xy[mask, 1], color=colour, marker=_marker(activation),
                           s=22, alpha=0.85, linewidths=0.3, edgecolors="white",
                           label=f"{cell} {activation}")
        ax.set_xlabel("MDS 1 (distance units)")
        ax.set_ylabel("MDS 2 (distance units)")
        ax.set_aspect("equal", adjustable="datalim")
        stats = embedding.clusters.get(by, {})
        name = "architecture" if by == "cell" else "nonlinearity"
        title = f"coloured by {name}"
        if "knn_accuracy" in stats:
            title += (f"\nk-NN accuracy {stats['knn_accuracy']:.2f} "
                      f"(chance {stats.get('majority_accuracy', np.nan):.2f})\n"
                      f"permutation p = {stats.get('knn_p_value', np.nan):.3g}")
        ax.set_title(title)
        if by == "cell":
            handles = [Line2D([], [], color=_colour(c), marker="o", linestyle="none", label=c)
                       for c in cell_list]
        else:
            handles = [Line2D([], [], color=NONLINEARITY_COLOURS.get(a, "#666666"),
                              marker=_marker(a), linestyle="none", label=a)
                       for a in activation_list]
        ax.legend(handles=handles, loc="best", frameon=False)
    stress = embedding.normalized_stress
    method = "metric MDS (SMACOF)" if embedding.method == "smacof" else "classical MDS"
    return f"{method}" + (f", normalized stress {stress:.3f}" if np.isfinite(stress) else "")


def distance_figure(metric: str) -> Callable[[TaskData, dict[str, Any]], tuple[Figure, str]]:
    def make(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
        distances = data.distances.get(metric)
        if distances is None:
            raise NotRun(f"similarity/{metric}.h5 not found")
        fig = _figure(11.0, 3.9)
        axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
        _matrix_panel(axes[0], fig, distances, metric)
        note = _mds_panels(axes[1:], data, metric, distances)
        title = METRIC_TITLES.get(metric, f"{metric} distance")
        fig.suptitle(f"{_task_title(data.name)}: {title}", fontsize=9)
        caption = (
            f"Left: the {title} between every pair of kept networks, sorted by architecture and "
            f"nonlinearity (white lines separate the groups). Middle and right: its 2-D "
            f"embedding ({note or 'MDS not run'}), coloured by architecture and by "
            f"nonlinearity; markers show the nonlinearity. Titles give the leave-one-out k-NN "
            f"accuracy of the label, the majority-class rate (chance) and the permutation p-value."
        )
        return fig, caption

    return make


# ---- the study's answer ------------------------------------------------------------------------

ANSWER_TITLE = "The answer at a glance: geometry is individual, the scaffold universal"


def _architecture_knn(task_results: dict[str, Any], metric: str) -> Optional[dict[str, Any]]:
    labels = (task_results.get("clustering", {}).get("metrics", {}).get(metric, {})
              .get("labels", {}).get("cell"))
    return labels if labels and labels.get("knn_accuracy") is not None else None


def study_answer(datas: list[TaskData], tasks: dict[str, Any]) -> tuple[Figure, str]:
    """One row per task with SVCCA and topology embeddings: the networks placed by MDS of their
    SVCCA distances (left) and of their fixed-point topology distances (right), coloured by
    architecture, with the k-NN accuracy of the architecture label on each."""
    rows = [d for d in datas
            if all(m in d.embeddings and m in d.distances for m in ("svcca", "topology"))]
    if not rows:
        raise NotRun("no task has both the SVCCA and the topology embeddings")
    # Tasks with too few networks to judge the clustering say nothing at a glance; they are left
    # out unless no task has enough.
    judged = [d for d in rows if any(c["id"] == "geometry_by_architecture"
                                     and c["verdict"] != _analysis.NOT_ENOUGH
                                     for c in tasks.get(d.name, {}).get("claims", []))]
    rows = judged or rows
    fig = _figure(8.0, 3.0 * len(rows) + 0.4)
    axes = fig.subplots(len(rows), 2, squeeze=False)
    sentences = []
    for r, data in enumerate(rows):
        for c, metric in enumerate(("svcca", "topology")):
            ax = axes[r][c]
            _mds_panels([ax], data, metric, data.distances[metric])
            what = "geometry (SVCCA)" if metric == "svcca" else "scaffold (topology)"
            stats = _architecture_knn(tasks.get(data.name, {}), metric)
            subtitle = "" if stats is None else (
                f"\narchitecture k-NN {stats['knn_accuracy']:.2f} (chance "
                f"{stats['majority_accuracy']:.2f}), p = {stats['knn_p_value']:.3g}")
            ax.set_title(f"{_task_title(data.name)}: {what}{subtitle}")
            if r > 0 or c > 0:
                legend = ax.get_legend()
                if legend is not None:
                    legend.remove()
        geometry = _architecture_knn(tasks.get(data.name, {}), "svcca")
        scaffold = _architecture_knn(tasks.get(data.name, {}), "topology")
        if geometry and scaffold:
            sentences.append(
                f"{_task_title(data.name)}: the architecture is recovered from SVCCA with k-NN "
                f"accuracy {geometry['knn_accuracy']:.2f} (p = {geometry['knn_p_value']:.3g}) and "
                f"from the topology with {scaffold['knn_accuracy']:.2f} (p = "
                f"{scaffold['knn_p_value']:.3g}); chance is {geometry['majority_accuracy']:.2f}.")
    caption = (
        "Each point is one trained network (colour: architecture; marker: nonlinearity), placed "
        "in 2-D by MDS of its distances to the others. The study's finding is that the left "
        "column (how the networks represent the task) separates architectures while the right "
        "column (the fixed points, their stability and transitions) does not. "
        + " ".join(sentences)
        + " The verdicts, with their rules, are in the table below."
    )
    return fig, caption


# ---- SVCCA vs topology -------------------------------------------------------------------------


def svcca_vs_topology(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    svcca, topology = data.distances.get("svcca"), data.distances.get("topology")
    missing = [f"similarity/{m}.h5" for m, d in (("svcca", svcca), ("topology", topology))
               if d is None]
    if missing:
        raise NotRun(" and ".join(missing) + " not found")
    ids, a, b, cells = _analysis.aligned_distances(svcca, topology)
    if len(ids) < 2:
        raise NotRun("fewer than 2 networks with both SVCCA and topology distances")
    i, j = np.triu_indices(len(ids), k=1)
    if i.size > MAX_SCATTER_PAIRS:
        keep = np.sort(np.random.default_rng(0).choice(i.size, MAX_SCATTER_PAIRS, replace=False))
        i, j = i[keep], j[keep]
    same = np.array([cells[p] == cells[q] for p, q in zip(i, j)])
    fig = _figure(4.8, 3.8)
    ax = fig.subplots()
    for name, mask in (("different architecture", ~same), ("same architecture", same)):
        if mask.any():
            ax.scatter(b[i[mask], j[mask]], a[i[mask], j[mask]], s=8, alpha=0.6,
                       color=PAIR_COLOURS[name], linewidths=0, label=f"{name} ({mask.sum()})",
                       rasterized=i.size > 1000)
    ax.set_xlabel("topology distance (fixed-point graphs)")
    ax.set_ylabel("SVCCA distance (1 - mean CCA)")
    ax.legend(loc="best", frameon=False, title="network pairs")
    mantel = results.get("mantel", {}).get("svcca_vs_topology", {})
    if mantel.get("status") == "ok":
        ax.set_title(f"Mantel r = {mantel['r']:.2f}, p = {mantel['p_value']:.3g} "
                     f"({len(ids)} networks)")
    else:
        ax.set_title(f"Mantel test: {mantel.get('reason', 'not run')}"[:80])
    fig.suptitle(f"{_task_title(data.name)}: geometry vs scaffold", fontsize=9)
    shown = "all" if i.size == len(ids) * (len(ids) - 1) // 2 else f"a random {i.size}"
    caption = (
        f"SVCCA distance against topology distance for {shown} of the pairs of networks, "
        f"coloured by whether the two networks share an architecture. The Mantel r is the "
        f"correlation over all pairs; its p-value comes from {_analysis.MANTEL_PERMUTATIONS} "
        f"permutations of the networks."
    )
    return fig, caption


# ---- sine wave ---------------------------------------------------------------------------------


def frequency(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    networks = _analysis.sine_frequencies(data.dynamics)
    if not networks:
        raise NotRun("no dynamics file with a sine-wave /analysis")
    numbers = results.get("sine_wave", {})
    fig = _figure(8.6, 3.8)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    n_points = sum(g["target"].size for g in networks)
    cells = sorted_architectures(g["cell"] for g in networks)
    activations = sorted({g["activation"] for g in networks},
                         key=lambda a: order_key(a, NONLINEARITIES))
    for ax, key, fit_key, name in (
        (axes[0], "predicted", "predicted_vs_target", "predicted by the linearization"),
        (axes[1], "measured", "measured_vs_target", "measured from the output"),
    ):
        for cell in cells:  # one scatter per group: a collection per network would be slow
            for activation in activations:
                group = [g for g in networks if (g["cell"], g["activation"]) == (cell, activation)
                         and g[key].size == g["target"].size]
                if group:
                    ax.scatter(np.concatenate([g["target"] for g in group]),
                               np.concatenate([g[key] for g in group]), s=9, color=_colour(cell),
                               marker=_marker(activation), alpha=0.6, linewidths=0,
                               rasterized=n_points > 2000)
        low = min(float(np.nanmin(g["target"])) for g in networks)
        high = max(float(np.nanmax(g["target"])) for g in networks)
        x = np.array([low, high])
        ax.plot(x, x, color="#888888", linestyle=":", linewidth=1.0, label="identity")
        fit = numbers.get(fit_key)
        if fit:
            r2 = fit["r_squared"]
            ax.plot(x, fit["intercept"] + fit["slope"] * x, color="black", linewidth=1.0,
                    label=f"fit: slope {fit['slope']:.2f}, "
                          f"R$^2$ {r2 if r2 is not None else float('nan'):.2f}")
        ax.set_xlabel("target frequency w (rad/step)")
        ax.set_ylabel(f"frequency {name.split()[0]} (rad/step)")
        ax.set_title(f"frequency {name}")
        ax.legend(loc="upper left", frameon=False)
    axes[1].add_artist(axes[1].get_legend())  # keep the fit legend beside the group legend
    axes[1].legend(handles=_legend_handles(cells, activations), loc="center left",
                   bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(f"{_task_title(data.name)}: frequency of the linearization vs target, all "
                 f"networks", fontsize=9)
    caption = (
        "Left: the frequency predicted by the linearization at the unstable fixed point of each "
        "static input (|arg lambda| of its leading complex pair) against the target frequency, "
        "for every network and input; inputs without such a point are omitted. Right: the "
        "frequency measured from the network's own output. Dotted: identity; solid: least-squares "
        "line over all networks."
    )
    return fig, caption


# ---- context-dependent integration -------------------------------------------------------------

CONTEXT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")


def line_attractors(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    networks = [d for d in _representatives(_analysis._cdi_networks(data.dynamics))]
    if not networks:
        raise NotRun("no dynamics file with a context-integration /analysis and /trajectories")
    fig, axes = _panel_grid(len(networks))
    labels = []
    for ax, network in zip(axes, networks):
        project = _trajectory_panel(ax, network)
        for k, condition in enumerate(read_fixed_points(network.path)):
            colour = CONTEXT_COLOURS[k % len(CONTEXT_COLOURS)]
            if k >= len(labels):
                labels.append(condition.label)
            if condition.states.shape[0] == 0:
                continue
            p = project(condition.states)
            marginal = condition.stability == 1
            ax.scatter(p[marginal, 0], p[marginal, 1], s=14, color=colour, linewidths=0, zorder=3)
            ax.scatter(p[~marginal, 0], p[~marginal, 1], s=14, facecolors="none",
                       edgecolors=colour, linewidths=0.7, zorder=3)
        ax.set_title(f"{network.cell} ({network.activation}, {network.n_hidden} units)",
                     color=_colour(network.cell))
    handles = [Line2D([], [], color=CONTEXT_COLOURS[k % len(CONTEXT_COLOURS)], marker="o",
                      linestyle="none", label=label) for k, label in enumerate(labels)]
    handles += [
        Line2D([], [], color="#444444", marker="o", linestyle="none", label="marginal point"),
        Line2D([], [], color="#444444", marker="o", markerfacecolor="none", linestyle="none",
               label="other point"),
        Line2D([], [], color="#BBBBBB", label="trajectories"),
    ]
    axes[-1].legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5),
                    frameon=False)
    fig.suptitle(f"{_task_title(data.name)}: fixed points per context at zero evidence (PCA, one "
                 f"network per architecture)", fontsize=9)
    caption = (
        "Fixed points of each context (zero evidence) in the plane of the first two principal "
        "components of the trajectories (grey). Filled: marginal points (an eigenvalue within the "
        "marginal band of 1); a line of them is an approximate line attractor."
    )
    return fig, caption


def _group_curves(networks: list[Dynamics], key: str) -> dict[tuple[str, str], np.ndarray]:
    """(cell, activation) -> [n_networks, K]: each network's curve ``key`` [n_contexts, n_state]
    averaged over contexts, truncated to the group's shortest (at most MAX_MODES)."""
    curves: dict[tuple[str, str], list[np.ndarray]] = {}
    for d in networks:
        values = np.asarray(d.analysis[key], dtype=np.float64)
        values = values.reshape(-1, values.shape[-1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            curves.setdefault((d.cell, d.activation), []).append(np.nanmean(values, axis=0))
    out = {}
    for group, members in curves.items():
        k = min(MAX_MODES, min(m.size for m in members))
        out[group] = np.vstack([m[:k] for m in members])
    return out


def _curve_figure(data: TaskData, key: str, ylabel: str, reference: float, reference_label: str,
                  title: str) -> Figure:
    networks = _analysis._cdi_networks(data.dynamics)
    if not networks:
        raise NotRun("no dynamics file with a context-integration /analysis")
    fig = _figure(5.6, 3.6)
    ax = fig.subplots()
    groups = sorted(_group_curves(networks, key).items(),
                    key=lambda item: (order_key(item[0][0], ARCHITECTURES),
                                      order_key(item[0][1], NONLINEARITIES)))
    for (cell, activation), curves in groups:
        k = np.arange(1, curves.shape[1] + 1)
        n = curves.shape[0]
        with warnings.catch_warnings():  # a mode that is NaN in every network stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(curves, axis=0)
            error = (np.nanstd(curves, axis=0, ddof=1) / np.sqrt(n) if n > 1
                     else np.zeros_like(mean))
        ax.plot(k, mean, color=_colour(cell), linestyle=_linestyle(activation),
                marker=_marker(activation), markersize=3, linewidth=1.2,
                label=f"{cell} {activation} (n = {n})")
        ax.fill_between(k, mean - error, mean + error, color=_colour(cell), alpha=0.2, linewidth=0)
    ax.axhline(reference, color="#888888", linestyle=":", linewidth=1.0, label=reference_label)
    ax.set_xlabel("mode k (sorted by |lambda|, descending)")
    ax.set_ylabel(ylabel)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(f"{_task_title(data.name)}: {title}", fontsize=9)
    return fig


def eigenvalue_spectra(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    fig = _curve_figure(data, "eigenvalue_modulus", "|lambda| (eigenvalue modulus)", 1.0,
                        "|lambda| = 1", "sorted eigenvalue spectra by architecture")
    caption = (
        f"The first {MAX_MODES} eigenvalue moduli of the linearization at the fixed points of "
        f"each context, sorted in descending order, averaged over the points and contexts of a "
        f"network; lines: mean over networks of the group, bands: standard error. A leading "
        f"|lambda| near 1 is the integrating (line-attractor) mode."
    )
    return fig, caption


def mode_response(data: TaskData, results: dict[str, Any]) -> tuple[Figure, str]:
    fig = _curve_figure(data, "mode_response", "fraction of linearized response captured", 0.9,
                        "90%", "linearized response vs number of modes kept")
    numbers = results.get("context_integration", {}).get("by_architecture", {})
    medians = ", ".join(f"{cell} {s['median_modes_90']:g}" for cell, s in numbers.items())
    caption = (
        "Fraction of the linearized response to a unit relevant input captured by the leading k "
        "modes, by architecture and nonlinearity (mean and standard error over networks). "
        f"Median modes needed for 90%: {medians}."
    )
    return fig, caption


# ---- the list ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FigureSpec:
    name: str  # file name part: <task>_<name>.png
    title: str
    make: Callable[[TaskData, dict[str, Any]], tuple[Figure, str]]


COMMON_FIGURES = (
    FigureSpec("example_trial", "Example trial", example_trial),
    FigureSpec("pca_fixed_points", "Trajectories and fixed points (PCA)", pca_fixed_points),
    FigureSpec("svcca", "SVCCA distances and MDS", distance_figure("svcca")),
    FigureSpec("topology", "Topology distances and MDS", distance_figure("topology")),
    FigureSpec("svcca_vs_topology", "SVCCA vs topology distance", svcca_vs_topology),
)
TASK_FIGURES = {
    "sine_wave": (FigureSpec("frequency", "Predicted vs target frequency", frequency),),
    "context_integration": (
        FigureSpec("line_attractors", "Line attractors (PCA)", line_attractors),
        FigureSpec("eigenvalue_spectra", "Sorted eigenvalue spectra", eigenvalue_spectra),
        FigureSpec("mode_response", "Linearized response vs modes kept", mode_response),
    ),
}


def figures_for(task: str) -> tuple[FigureSpec, ...]:
    return COMMON_FIGURES + TASK_FIGURES.get(task, ())
