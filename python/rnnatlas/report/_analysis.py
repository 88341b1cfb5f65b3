"""The numbers of the report and the verdict on each claim of docs/study.md section 7.

Everything here is plain bookkeeping over what the C++ stages computed (counts, means); the least
squares line of the sine frequencies (rnnatlas._core.fit_line, the fit `rnnatlas dynamics` prints)
and the one statistical test the report runs itself, the Mantel test (rnnatlas.mantel_test), come
from the compiled library. Each claim gets a verdict by a fixed rule, written out in
``RULES`` (and docs/report.md):

  reproduced / not reproduced   the rule's condition holds / does not hold
  not enough networks           too few networks (or groups) for the rule to mean anything
  not run                       a stage whose files the rule needs has not run
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._files import STABILITY_NAMES, Distances, Dynamics, Embedding, TaskData

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_ENOUGH = "not enough networks"
NOT_RUN = "not run"

ARCHITECTURES = ("vanilla", "ugrnn", "gru", "lstm")
NONLINEARITIES = ("tanh", "relu", "softplus", "linear")
STABILITY_CLASSES = STABILITY_NAMES  # the codes of Dynamics.stability, in order

ALPHA = 0.01  # significance level of every permutation test
MIN_NETWORKS = 3  # fewer networks than this: "not enough networks"
MIN_PER_GROUP = 3  # clustering needs >= 2 groups and >= this many networks per group on average
NEAR_CHANCE = 0.10  # k-NN accuracy within this of the majority-class rate counts as chance
FRACTION_MOST = 0.9  # "every network" read as ">= 90% of networks"
SLOPE_TOLERANCE = 0.2  # |slope - 1| allowed for "w_hat tracks w"
MIN_R_SQUARED = 0.9
VANILLA_MAX_MODES = 2  # "vanilla RNNs integrate with one mode": median n_modes_90 <= this
MANTEL_PERMUTATIONS = 999
MANTEL_SEED = 0

RULES = {
    "geometry_by_architecture": (
        f"reproduced if the leave-one-out k-NN accuracy of the architecture label under SVCCA "
        f"has permutation p < {ALPHA}; not enough networks if fewer than 2 architectures or fewer "
        f"than {MIN_PER_GROUP} networks per architecture on average"
    ),
    "geometry_by_nonlinearity": (
        f"as for architecture, with the nonlinearity label: k-NN permutation p < {ALPHA}"
    ),
    "topology_by_architecture": (
        f"reproduced if the k-NN accuracy of the architecture label under the topology distance "
        f"is not significant (p >= {ALPHA}) or within {NEAR_CHANCE:.2f} of chance (the majority-"
        f"class rate); group minimum as above"
    ),
    "topology_by_nonlinearity": "as for architecture, with the nonlinearity label",
    "geometry_vs_function": (
        f"reproduced if SVCCA distances correlate more with the architecture-difference indicator "
        f"(1 if two networks differ in architecture) than with the topology distance (Mantel r), "
        f"and the architecture correlation is significant (Mantel p < {ALPHA}); constant topology "
        f"distances count as r = 0; not enough networks below {2 * MIN_NETWORKS} networks with "
        f"both distances or with a single architecture"
    ),
    "flip_flop_corners": (
        f"reproduced if at least {FRACTION_MOST:.0%} of the networks with a dynamics file have "
        f"exactly 2^n_bits (= 8) stable corners (distinct all-nonzero readout labels of stable "
        f"points); not enough networks below {MIN_NETWORKS}"
    ),
    "flip_flop_saddles": (
        f"reproduced if at least {FRACTION_MOST:.0%} of the transitions from saddles that reach "
        f"corners, pooled over networks, reach corners one bit apart (and there is at least one); "
        f"not enough networks below {MIN_NETWORKS}"
    ),
    "sine_unstable_points": (
        f"reproduced if at least {FRACTION_MOST:.0%} of the (network, input) pairs have an "
        f"unstable fixed point with a complex pair; not enough networks below {MIN_NETWORKS}"
    ),
    "sine_frequency": (
        f"reproduced if the least-squares line of predicted on target frequency, over all "
        f"(network, input) pairs with a prediction, has R^2 >= {MIN_R_SQUARED} and |slope - 1| <= "
        f"{SLOPE_TOLERANCE}; not enough networks below {MIN_NETWORKS}"
    ),
    "cdi_line_attractors": (
        f"reproduced if in every architecture present at least {FRACTION_MOST:.0%} of the "
        f"(network, context) pairs have a fixed point with an eigenvalue in the marginal band of "
        f"1; not enough networks below {MIN_NETWORKS} or with a single architecture"
    ),
    "cdi_modes": (
        f"reproduced if vanilla networks need at most {VANILLA_MAX_MODES} modes for 90% of the "
        f"linearized response (median over networks and contexts) and every gated architecture's "
        f"median is larger than vanilla's; not enough networks below {MIN_NETWORKS - 1} vanilla "
        f"or {MIN_NETWORKS - 1} gated networks"
    ),
}

CLAIMS = {
    "geometry_by_architecture": (
        "SVCCA geometry clusters by architecture",
        "k-NN label accuracy far above chance, permutation p < 0.01",
    ),
    "geometry_by_nonlinearity": (
        "SVCCA geometry clusters by nonlinearity",
        "k-NN label accuracy far above chance, permutation p < 0.01",
    ),
    "topology_by_architecture": (
        "fixed-point topology does not cluster by architecture",
        "k-NN accuracy near chance; topology distances small",
    ),
    "topology_by_nonlinearity": (
        "fixed-point topology does not cluster by nonlinearity",
        "k-NN accuracy near chance; topology distances small",
    ),
    "geometry_vs_function": (
        "SVCCA distance is driven by architecture, not by function",
        "SVCCA tracks architecture more than the fixed-point topology",
    ),
    "flip_flop_corners": ("flip-flop: 8 stable points", "8 stable points in every kept network"),
    "flip_flop_saddles": (
        "flip-flop: saddles connect corners one bit apart",
        "transitions from saddles reach corners one bit apart",
    ),
    "sine_unstable_points": (
        "sine wave: an unstable point with a complex pair per input",
        "per input an unstable point with a complex pair",
    ),
    "sine_frequency": (
        "sine wave: the linearization predicts the frequency",
        "w_hat tracks w (R^2, slope near 1)",
    ),
    "cdi_line_attractors": (
        "context integration: line attractors in every architecture",
        "an approximate line attractor (eigenvalue near 1) per context",
    ),
    "cdi_modes": (
        "context integration: vanilla integrates with one mode, gated RNNs with many",
        "vanilla uses 1 mode, gated many",
    ),
}


def order_key(value: str, order: tuple[str, ...]) -> tuple[int, str]:
    """Sort key putting known names in the study's order and anything else after, by name."""
    return (order.index(value), "") if value in order else (len(order), value)


def sorted_architectures(values) -> list[str]:
    return sorted(set(values), key=lambda v: order_key(v, ARCHITECTURES))


def _finite(value: Any) -> Optional[float]:
    value = float(value)
    return value if np.isfinite(value) else None


def _claim(claim_id: str, verdict: str, measured: str, **numbers: Any) -> dict[str, Any]:
    title, expected = CLAIMS[claim_id]
    return {
        "id": claim_id,
        "claim": title,
        "expected": expected,
        "rule": RULES[claim_id],
        "measured": measured,
        "verdict": verdict,
        "numbers": numbers,
    }


def _format_p(p: Optional[float]) -> str:
    if p is None or not np.isfinite(p):
        return "p = n/a"
    return f"p = {p:.3g}"


# ---- population --------------------------------------------------------------------------------


def population(data: TaskData) -> dict[str, Any]:
    if data.population is None:
        return {"status": NOT_RUN, "reason": "manifest.csv not found, or refused (see the warnings)"}
    groups = sorted(
        data.population,
        key=lambda g: (order_key(g.cell, ARCHITECTURES), order_key(g.activation, NONLINEARITIES)),
    )
    rows = [
        {
            "cell": g.cell,
            "activation": g.activation,
            "networks": g.networks,
            "trained": g.trained,
            "kept": g.kept,
            "diverged": g.diverged,
            "median_normalized_mse": _finite(g.median_normalized_mse),
        }
        for g in groups
    ]
    total = {key: sum(r[key] for r in rows) for key in ("networks", "trained", "kept", "diverged")}
    return {"status": "ok", "source": data.population_source, "groups": rows, "total": total}


# ---- fixed points ------------------------------------------------------------------------------


def fixed_point_counts(dynamics: list[Dynamics]) -> dict[str, Any]:
    """Points per stability class (and slow points), totals and means per network, by
    architecture and over all networks."""
    if not dynamics:
        return {"status": NOT_RUN, "reason": "no dynamics files"}

    def counts(networks: list[Dynamics]) -> dict[str, Any]:
        total = {name: 0 for name in STABILITY_CLASSES}
        total["slow"] = 0
        total["points"] = 0
        for d in networks:
            for stability, slow in zip(d.stability, d.is_slow):
                for code, name in enumerate(STABILITY_CLASSES):
                    total[name] += int(np.sum(stability == code))
                total["slow"] += int(np.sum(slow))
                total["points"] += int(stability.size)
        n = len(networks)
        return {
            "n_networks": n,
            "total": total,
            "mean_per_network": {key: value / n for key, value in total.items()},
        }

    by_cell = {
        cell: counts([d for d in dynamics if d.cell == cell])
        for cell in sorted_architectures(d.cell for d in dynamics)
    }
    return {"status": "ok", "all": counts(dynamics), "by_architecture": by_cell}


# ---- clustering --------------------------------------------------------------------------------


def clustering(embeddings: dict[str, Embedding]) -> dict[str, Any]:
    """The cluster statistics of every embedding file: metric -> label -> numbers."""
    if not embeddings:
        return {"status": NOT_RUN, "reason": "no similarity/*.embedding.h5 files"}
    out: dict[str, Any] = {"status": "ok", "metrics": {}}
    for metric, e in sorted(embeddings.items()):
        out["metrics"][metric] = {
            "n_networks": len(e.network_ids),
            "mds": e.method,
            "normalized_stress": _finite(e.normalized_stress),
            "labels": {
                label: {key: _finite(value) for key, value in stats.items()}
                for label, stats in sorted(e.clusters.items())
            },
        }
    return out


def _cluster_claim(
    claim_id: str, embedding: Optional[Embedding], metric: str, label: str, expect_clusters: bool
) -> dict[str, Any]:
    if embedding is None:
        return _claim(claim_id, NOT_RUN, f"similarity/{metric}.embedding.h5 not found")
    stats = embedding.clusters.get(label)
    if stats is None:
        return _claim(claim_id, NOT_RUN, f"no cluster statistics for label '{label}'")
    n = len(embedding.network_ids)
    n_groups = int(stats.get("n_groups", 0))
    accuracy = stats.get("knn_accuracy", np.nan)
    p = stats.get("knn_p_value", np.nan)
    chance = stats.get("majority_accuracy", np.nan)
    numbers = {
        "metric": metric,
        "label": label,
        "n_networks": n,
        "n_groups": n_groups,
        "knn_accuracy": _finite(accuracy),
        "knn_p_value": _finite(p),
        "chance": _finite(chance),
        "silhouette": _finite(stats.get("silhouette", np.nan)),
        "silhouette_p_value": _finite(stats.get("silhouette_p_value", np.nan)),
    }
    measured = (
        f"k-NN accuracy {accuracy:.2f} (chance {chance:.2f}), {_format_p(p)}; silhouette "
        f"{stats.get('silhouette', np.nan):.2f}, {_format_p(stats.get('silhouette_p_value'))}; "
        f"{n} networks in {n_groups} groups"
    )
    if n_groups < 2 or n < MIN_PER_GROUP * n_groups:
        return _claim(claim_id, NOT_ENOUGH, measured, **numbers)
    if expect_clusters:
        holds = p < ALPHA
    else:
        holds = not p < ALPHA or accuracy <= chance + NEAR_CHANCE
    return _claim(claim_id, REPRODUCED if holds else NOT_REPRODUCED, measured, **numbers)


# ---- Mantel ------------------------------------------------------------------------------------


def _mantel(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """rnnatlas.mantel_test, or why it cannot run ("not run": no compiled module; "undefined": a
    matrix is constant off the diagonal, so the correlation is undefined)."""
    try:
        import rnnatlas  # the compiled library; the report itself is pure Python
    except ImportError as error:
        return {
            "status": NOT_RUN,
            "reason": f"the Mantel test needs the compiled module rnnatlas._core, which is not "
                      f"importable ({error}); build with -DRNNATLAS_BUILD_PYTHON=ON and set "
                      f"PYTHONPATH=<build>/python",
        }
    for name, m in (("a", a), ("b", b)):
        # Checked here because the mean of equal values need not round to exactly that value,
        # which leaves the library a tiny nonzero spread to correlate.
        if m.shape[0] >= 2 and np.ptp(m[np.triu_indices_from(m, k=1)]) == 0:
            return {"status": "undefined", "reason": f"matrix {name} is constant off the "
                                                     f"diagonal; the correlation is undefined"}
    try:
        result = rnnatlas.mantel_test(a, b, n_permutations=MANTEL_PERMUTATIONS, seed=MANTEL_SEED)
    except ValueError as error:
        return {"status": "undefined", "reason": str(error)}
    return {
        "status": "ok",
        "r": _finite(result.r),
        "p_value": _finite(result.p_value),
        "n_permutations": MANTEL_PERMUTATIONS,
    }


def aligned_distances(
    first: Distances, second: Distances
) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """The networks present in both files (in ``first``'s order), both matrices restricted to
    them, and each network's architecture."""
    index = {nid: i for i, nid in enumerate(second.network_ids)}
    rows = [i for i, nid in enumerate(first.network_ids) if nid in index]
    ids = [first.network_ids[i] for i in rows]
    cols = [index[nid] for nid in ids]
    a = first.distances[np.ix_(rows, rows)]
    b = second.distances[np.ix_(cols, cols)]
    cells = first.labels.get("cell", [""] * len(first.network_ids))
    return ids, a, b, [cells[i] for i in rows]


def geometry_vs_function(data: TaskData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the "mantel" numbers of results.json, the geometry_vs_function claim)."""
    svcca, topology = data.distances.get("svcca"), data.distances.get("topology")
    missing = [f"similarity/{m}.h5" for m, d in (("svcca", svcca), ("topology", topology))
               if d is None]
    if missing:
        reason = " and ".join(missing) + " not found"
        return ({"status": NOT_RUN, "reason": reason},
                _claim("geometry_vs_function", NOT_RUN, reason))
    ids, a, b, cells = aligned_distances(svcca, topology)
    n = len(ids)
    if n < 2 * MIN_NETWORKS:
        reason = f"{n} networks with both SVCCA and topology distances"
        return (
            {"status": NOT_ENOUGH, "n_networks": n, "reason": reason},
            _claim("geometry_vs_function", NOT_ENOUGH, reason, n_networks=n),
        )
    topo = _mantel(a, b)
    if len(set(cells)) < 2:
        arch = {"status": "undefined", "reason": "a single architecture"}
    else:
        cell_array = np.asarray(cells)
        arch = _mantel(a, (cell_array[:, None] != cell_array[None, :]).astype(np.float64))
    mantel = {"n_networks": n, "svcca_vs_topology": topo, "svcca_vs_architecture": arch}
    for test in (topo, arch):
        if test["status"] == NOT_RUN:
            mantel["status"] = NOT_RUN
            mantel["reason"] = test["reason"]
            return mantel, _claim("geometry_vs_function", NOT_RUN, test["reason"], n_networks=n)
    mantel["status"] = "ok"

    def describe(test: dict[str, Any]) -> str:
        if test["status"] != "ok":
            return "undefined (" + test["reason"] + ")"
        return f"{test['r']:.2f} ({_format_p(test['p_value'])})"

    measured = (
        f"Mantel r(SVCCA, architecture differs) = {describe(arch)}; r(SVCCA, topology) = "
        f"{describe(topo)}; {n} networks"
    )
    numbers = {
        "n_networks": n,
        "r_architecture": arch.get("r"),
        "p_architecture": arch.get("p_value"),
        "r_topology": topo.get("r"),
        "p_topology": topo.get("p_value"),
    }
    if arch["status"] != "ok" or arch["r"] is None:
        return mantel, _claim("geometry_vs_function", NOT_ENOUGH, measured, **numbers)
    # Constant topology distances (every network has the same scaffold) explain nothing: r = 0.
    r_topology = topo["r"] if topo["status"] == "ok" and topo["r"] is not None else 0.0
    holds = arch["r"] > r_topology and arch["p_value"] < ALPHA
    return mantel, _claim("geometry_vs_function", REPRODUCED if holds else NOT_REPRODUCED, measured,
                          **numbers)


# ---- flip-flop ---------------------------------------------------------------------------------


def flip_flop(dynamics: list[Dynamics]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    networks = [d for d in dynamics if d.analysis is not None]
    if not networks:
        reason = "no dynamics files with /analysis"
        return {"status": NOT_RUN, "reason": reason}, [
            _claim("flip_flop_corners", NOT_RUN, reason),
            _claim("flip_flop_saddles", NOT_RUN, reason),
        ]

    def summary(group: list[Dynamics]) -> dict[str, Any]:
        corners = [int(d.analysis["n_stable_corners"]) for d in group]
        expected = [2 ** d.n_output for d in group]
        n_exact = sum(c == e for c, e in zip(corners, expected))
        by_unstable = np.zeros(5, dtype=np.int64)  # 0, 1, 2, 3, >= 4 unstable dimensions
        for d in group:
            counts = np.asarray(d.analysis.get("count_by_unstable", []), dtype=np.int64)
            by_unstable[: min(4, counts.size)] += counts[:4]
            by_unstable[4] += counts[4:].sum()
        one_bit = sum(int(d.analysis.get("corner_transitions_one_bit", 0)) for d in group)
        total = sum(int(d.analysis.get("corner_transitions_total", 0)) for d in group)
        histogram: dict[str, int] = {}
        for c in sorted(corners):
            histogram[str(c)] = histogram.get(str(c), 0) + 1
        return {
            "n_networks": len(group),
            "n_with_all_corners": n_exact,
            "fraction_with_all_corners": n_exact / len(group),
            "stable_corner_histogram": histogram,
            "mean_stable_points": float(np.mean([int(d.analysis["n_stable"]) for d in group])),
            "mean_saddles": float(np.mean([int(d.analysis["n_saddles"]) for d in group])),
            "mean_count_by_unstable": (by_unstable / len(group)).tolist(),
            "corner_transitions_one_bit": one_bit,
            "corner_transitions_total": total,
            "one_bit_fraction": one_bit / total if total else None,
        }

    numbers = summary(networks)
    numbers["status"] = "ok"
    numbers["n_bits"] = int(networks[0].n_output)
    numbers["n_corners"] = 2 ** numbers["n_bits"]  # the stable points expected: 8 for 3 bits
    numbers["by_architecture"] = {
        cell: summary([d for d in networks if d.cell == cell])
        for cell in sorted_architectures(d.cell for d in networks)
    }
    n = len(networks)
    n_corners = numbers["n_corners"]
    measured = (
        f"{numbers['n_with_all_corners']} of {n} networks "
        f"({numbers['fraction_with_all_corners']:.0%}) "
        f"have exactly {n_corners} stable corners (networks by corner count: "
        + ", ".join(f"{k}: {v}" for k, v in numbers["stable_corner_histogram"].items()) + ")"
    )
    if n < MIN_NETWORKS:
        corners_verdict = NOT_ENOUGH
    else:
        corners_verdict = (
            REPRODUCED if numbers["fraction_with_all_corners"] >= FRACTION_MOST else NOT_REPRODUCED
        )
    corners = _claim(
        "flip_flop_corners", corners_verdict, measured, n_networks=n,
        n_with_all_corners=numbers["n_with_all_corners"],
        fraction_with_all_corners=numbers["fraction_with_all_corners"],
    )
    fraction = numbers["one_bit_fraction"]
    measured = (
        f"{numbers['corner_transitions_one_bit']} of {numbers['corner_transitions_total']} "
        f"saddle-to-corner transitions one bit apart"
        + (f" ({fraction:.0%})" if fraction is not None else "")
        + "; mean points with 1/2/3 unstable dimensions per network "
        + "/".join(f"{v:.1f}" for v in numbers["mean_count_by_unstable"][1:4])
        + " (ideal 12/6/1)"
    )
    if n < MIN_NETWORKS:
        saddles_verdict = NOT_ENOUGH
    else:
        saddles_verdict = (
            REPRODUCED if fraction is not None and fraction >= FRACTION_MOST else NOT_REPRODUCED
        )
    saddles = _claim(
        "flip_flop_saddles", saddles_verdict, measured, n_networks=n,
        corner_transitions_one_bit=numbers["corner_transitions_one_bit"],
        corner_transitions_total=numbers["corner_transitions_total"], one_bit_fraction=fraction,
    )
    return numbers, [corners, saddles]


# ---- sine wave ---------------------------------------------------------------------------------


def linear_fit(x: np.ndarray, y: np.ndarray) -> Optional[dict[str, Any]]:
    """Least-squares line y = intercept + slope x over the finite pairs, its R^2, and the R^2 of
    the identity line (1 - sum (y - x)^2 / sum (y - mean y)^2): the library's fit_line, the fit
    `rnnatlas dynamics` prints. None below 3 pairs or for a constant x; an R^2 that is undefined
    (constant y) is None."""
    from .. import _core

    fit = _core.fit_line(np.asarray(x, dtype=np.float64).ravel(),
                         np.asarray(y, dtype=np.float64).ravel())
    if fit is None:
        return None
    fit["r_squared"] = _finite(fit["r_squared"])
    fit["identity_r_squared"] = _finite(fit["identity_r_squared"])
    return fit


def sine_frequencies(dynamics: list[Dynamics]) -> list[dict[str, Any]]:
    """Per network with a sine analysis: cell, activation and its target/predicted/measured
    frequency arrays and has_unstable_complex flags."""
    out = []
    for d in dynamics:
        a = d.analysis
        if a is None or "target_frequency" not in a:
            continue
        out.append({
            "cell": d.cell,
            "activation": d.activation,
            "target": np.asarray(a["target_frequency"], dtype=np.float64).ravel(),
            "predicted": np.asarray(a["predicted_frequency"], dtype=np.float64).ravel(),
            "measured": np.asarray(a.get("measured_frequency", []), dtype=np.float64).ravel(),
            "has_unstable_complex": np.asarray(a["has_unstable_complex"]).astype(bool).ravel(),
        })
    return out


def sine_wave(dynamics: list[Dynamics]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    networks = sine_frequencies(dynamics)
    if not networks:
        reason = "no dynamics files with a sine-wave /analysis"
        return {"status": NOT_RUN, "reason": reason}, [
            _claim("sine_unstable_points", NOT_RUN, reason),
            _claim("sine_frequency", NOT_RUN, reason),
        ]

    def summary(group: list[dict[str, Any]]) -> dict[str, Any]:
        flags = np.concatenate([g["has_unstable_complex"] for g in group])
        target = np.concatenate([g["target"] for g in group])
        predicted = np.concatenate([g["predicted"] for g in group])
        measured_ok = [g for g in group if g["measured"].size == g["target"].size]
        return {
            "n_networks": len(group),
            "n_inputs": int(flags.size),
            "fraction_unstable_complex": float(flags.mean()) if flags.size else None,
            "predicted_vs_target": linear_fit(target, predicted),
            "measured_vs_target": linear_fit(
                np.concatenate([g["target"] for g in measured_ok]) if measured_ok else [],
                np.concatenate([g["measured"] for g in measured_ok]) if measured_ok else [],
            ),
        }

    numbers = summary(networks)
    numbers["status"] = "ok"
    numbers["by_architecture"] = {
        cell: summary([g for g in networks if g["cell"] == cell])
        for cell in sorted_architectures(g["cell"] for g in networks)
    }
    n = len(networks)
    fraction = numbers["fraction_unstable_complex"]
    measured = (
        f"{fraction:.0%} of {numbers['n_inputs']} (network, input) pairs have an unstable point "
        f"with a complex pair ({n} networks)"
    )
    if n < MIN_NETWORKS:
        verdict = NOT_ENOUGH
    else:
        verdict = REPRODUCED if fraction >= FRACTION_MOST else NOT_REPRODUCED
    unstable = _claim("sine_unstable_points", verdict, measured, n_networks=n,
                      fraction_unstable_complex=fraction)
    fit = numbers["predicted_vs_target"]
    if fit is None:
        frequency = _claim("sine_frequency", NOT_ENOUGH if n < MIN_NETWORKS else NOT_REPRODUCED,
                           "fewer than 3 inputs with a predicted frequency", n_networks=n)
    else:
        r2 = fit["r_squared"]
        measured = (
            f"predicted = {fit['intercept']:.3f} + {fit['slope']:.3f} x target, "
            f"R^2 = {r2 if r2 is not None else float('nan'):.3f} over {fit['n_points']} pairs"
        )
        if n < MIN_NETWORKS:
            verdict = NOT_ENOUGH
        else:
            holds = (
                r2 is not None
                and r2 >= MIN_R_SQUARED
                and abs(fit["slope"] - 1) <= SLOPE_TOLERANCE
            )
            verdict = REPRODUCED if holds else NOT_REPRODUCED
        frequency = _claim("sine_frequency", verdict, measured, n_networks=n, slope=fit["slope"],
                           intercept=fit["intercept"], r_squared=r2, n_points=fit["n_points"])
    return numbers, [unstable, frequency]


# ---- context-dependent integration -------------------------------------------------------------


def _cdi_networks(dynamics: list[Dynamics]) -> list[Dynamics]:
    return [d for d in dynamics if d.analysis is not None and "n_modes_90" in d.analysis]


def context_integration(dynamics: list[Dynamics]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    networks = _cdi_networks(dynamics)
    if not networks:
        reason = "no dynamics files with a context-integration /analysis"
        return {"status": NOT_RUN, "reason": reason}, [
            _claim("cdi_line_attractors", NOT_RUN, reason),
            _claim("cdi_modes", NOT_RUN, reason),
        ]

    def summary(group: list[Dynamics]) -> dict[str, Any]:
        marginal = np.concatenate(
            [np.asarray(d.analysis["n_marginal_points"], dtype=np.int64).ravel() for d in group]
        )
        modes = np.concatenate(
            [np.asarray(d.analysis["n_modes_90"], dtype=np.int64).ravel() for d in group]
        )
        return {
            "n_networks": len(group),
            "fraction_with_line_attractor": float(np.mean(marginal > 0)),
            "mean_marginal_points": float(np.mean(marginal)),
            "median_modes_90": float(np.median(modes)),
            "mean_modes_90": float(np.mean(modes)),
        }

    cells = sorted_architectures(d.cell for d in networks)
    numbers: dict[str, Any] = {"status": "ok", **summary(networks)}
    numbers["by_architecture"] = {
        cell: summary([d for d in networks if d.cell == cell]) for cell in cells
    }
    by_cell = numbers["by_architecture"]
    n = len(networks)
    measured = "; ".join(
        f"{cell} {s['fraction_with_line_attractor']:.0%} of contexts "
        f"({s['mean_marginal_points']:.1f} marginal points)"
        for cell, s in by_cell.items()
    )
    if n < MIN_NETWORKS or len(cells) < 2:
        verdict = NOT_ENOUGH
    else:
        holds = all(s["fraction_with_line_attractor"] >= FRACTION_MOST for s in by_cell.values())
        verdict = REPRODUCED if holds else NOT_REPRODUCED
    lines = _claim("cdi_line_attractors", verdict, measured, n_networks=n,
                   fraction_by_architecture={c: s["fraction_with_line_attractor"]
                                             for c, s in by_cell.items()})

    medians = {cell: s["median_modes_90"] for cell, s in by_cell.items()}
    measured = "median modes for 90% of the response: " + ", ".join(
        f"{cell} {m:g}" for cell, m in medians.items()
    )
    n_vanilla = by_cell.get("vanilla", {}).get("n_networks", 0)
    n_gated = sum(s["n_networks"] for cell, s in by_cell.items() if cell != "vanilla")
    if n_vanilla < MIN_NETWORKS - 1 or n_gated < MIN_NETWORKS - 1:
        verdict = NOT_ENOUGH
    else:
        vanilla = medians["vanilla"]
        holds = vanilla <= VANILLA_MAX_MODES and all(
            m > vanilla for cell, m in medians.items() if cell != "vanilla"
        )
        verdict = REPRODUCED if holds else NOT_REPRODUCED
    modes = _claim("cdi_modes", verdict, measured, median_modes_90=medians)
    return numbers, [lines, modes]


# ---- one task ----------------------------------------------------------------------------------


def task_results(data: TaskData) -> dict[str, Any]:
    """Every number of one task and the verdict on each claim (figures are added by the caller)."""
    claims = [
        _cluster_claim("geometry_by_architecture", data.embeddings.get("svcca"), "svcca", "cell",
                       True),
        _cluster_claim("geometry_by_nonlinearity", data.embeddings.get("svcca"), "svcca",
                       "activation", True),
        _cluster_claim("topology_by_architecture", data.embeddings.get("topology"), "topology",
                       "cell", False),
        _cluster_claim("topology_by_nonlinearity", data.embeddings.get("topology"), "topology",
                       "activation", False),
    ]
    mantel, claim = geometry_vs_function(data)
    claims.append(claim)
    result: dict[str, Any] = {
        "stages": dict(data.stages),
        "warnings": list(data.warnings),
        "population": population(data),
        "clustering": clustering(data.embeddings),
        "fixed_points": fixed_point_counts(data.dynamics),
        "mantel": mantel,
    }
    if "topology" in data.distances:
        d = data.distances["topology"].distances
        upper = d[np.triu_indices_from(d, k=1)]
        result["topology_distance"] = {
            "mean": _finite(upper.mean()) if upper.size else None,
            "median": _finite(np.median(upper)) if upper.size else None,
            "max": _finite(upper.max()) if upper.size else None,
        }
    task_specific = {
        "flip_flop": flip_flop,
        "sine_wave": sine_wave,
        "context_integration": context_integration,
    }.get(data.name)
    if task_specific is not None:
        numbers, task_claims = task_specific(data.dynamics)
        result[data.name] = numbers
        claims.extend(task_claims)
    result["claims"] = claims
    return result
