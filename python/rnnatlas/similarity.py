"""Representational similarity of two activity matrices X [n_samples, n_x] and Y [n_samples, n_y].

Rows are samples (the same trials and time steps for both), columns are units; n_x may differ
from n_y. Every metric centres the columns. Keyword options are the fields of the C++ options
structs (rnnatlas/similarity/metrics.h); invalid values and inputs (different sample counts,
non-finite entries, too few samples, rank too high for CCA) raise ValueError naming them.

  cca(x, y, rank_tolerance=1e-10)                      -> all canonical correlations, descending
  svcca(x, y, k=10, variance_fraction=0, ...)          -> SvccaResult (rho, mean_rho, distance)
  pwcca(x, y, rank_tolerance=1e-10)                    -> PwccaResult (weights from x)
  cka(x, y, kernel="linear", threshold=1, debiased=False) -> float similarity
  shape_distance(x, y, alpha=1, distance="angular")    -> float distance
  dsa(x, y, n_steps=None, rank=10, n_delays=1, ...)    -> DsaResult (distance, angular, euclidean,
                                                          alignment); dynamics, not geometry
  prepare_dsa(x, n_steps=None, ...)                    -> PreparedDsa (the fitted operator)
  operator_distance(a, b, distance="angular", ...)     -> DsaResult of two given operators

DSA takes trials: x is [n_trials, n_steps, n_units], or [n_trials * n_steps, n_units] in the row
order of rnnatlas activity (row s * n_trials + b = step s of trial b) with n_steps given; delay
embeddings never join two trials.

Populations: rnnatlas.distance_matrix, rnnatlas.mds, rnnatlas.cluster_stats, rnnatlas.mantel_test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import DsaResult, PreparedDsa, PwccaResult, SvccaResult
from ._arrays import real as _real
from ._options import fill

__all__ = [
    "DsaResult",
    "PreparedDsa",
    "PwccaResult",
    "SvccaResult",
    "cca",
    "cka",
    "dsa",
    "operator_distance",
    "prepare_dsa",
    "pwcca",
    "shape_distance",
    "svcca",
]


def cca(x: npt.ArrayLike, y: npt.ArrayLike, **options: Any) -> np.ndarray:
    """All canonical correlations [min(rank x, rank y)] of x and y, descending, in [0, 1]."""
    return _core.cca(fill(_core.CcaOptions(), "cca", options), _real(x, "cca: x"), _real(y, "cca: y"))


def svcca(x: npt.ArrayLike, y: npt.ArrayLike, k: int = 10, **options: Any) -> SvccaResult:
    """SVCCA (Raghu et al. 2017): CCA between the top-``k`` principal subspaces of each side (or,
    with ``variance_fraction`` > 0, the fewest directions reaching that fraction of variance)."""
    opts = fill(_core.SvccaOptions(), "svcca", dict(options, k=k))
    return _core.svcca(opts, _real(x, "svcca: x"), _real(y, "svcca: y"))


def pwcca(x: npt.ArrayLike, y: npt.ArrayLike, **options: Any) -> PwccaResult:
    """Projection-weighted CCA (Morcos et al. 2018); the weights come from ``x``, so
    ``pwcca(x, y) != pwcca(y, x)`` in general."""
    opts = fill(_core.CcaOptions(), "pwcca", options)
    return _core.pwcca(opts, _real(x, "pwcca: x"), _real(y, "pwcca: y"))


def cka(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    kernel: str = "linear",
    threshold: float = 1.0,
    debiased: bool = False,
) -> float:
    """Centered kernel alignment (Kornblith et al. 2019); ``kernel`` "linear" or "rbf" (bandwidth
    sigma = threshold * sqrt(median squared distance)); ``debiased`` uses the unbiased HSIC."""
    options = fill(
        _core.CkaOptions(), "cka", dict(kernel=kernel, threshold=threshold, debiased=debiased)
    )
    return _core.cka(options, _real(x, "cka: x"), _real(y, "cka: y"))


def shape_distance(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    alpha: float = 1.0,
    distance: str = "angular",
    **options: Any,
) -> float:
    """Generalized shape metric (Williams et al. 2021) with partial whitening ``alpha`` (1: none,
    Procrustes; 0: full); ``distance`` "angular" (radians) or "euclidean"."""
    values = dict(options, alpha=alpha, distance=distance)
    opts = fill(_core.ShapeOptions(), "shape", values)
    return _core.shape_distance(opts, _real(x, "shape_distance: x"), _real(y, "shape_distance: y"))


# ---- dynamical similarity analysis ---------------------------------------------------------------


def trial_rows(x: npt.ArrayLike, n_steps: int | None = None) -> tuple[np.ndarray, int]:
    """(rows, n_steps): activity as the [n_trials * n_steps, n_units] matrix DSA reads, rows
    time-major (row s * n_trials + b = step s of trial b, as rnnatlas activity). ``x`` is
    [n_trials, n_steps, n_units] (n_steps, if given, must match), or already [n_samples, n_units]
    with ``n_steps`` given."""
    a = _real(x, "dsa: activity")
    if a.ndim == 3:
        if n_steps is not None and n_steps != a.shape[1]:
            raise ValueError(
                f"dsa: the activity [n_trials, n_steps, n_units] = {list(a.shape)} has "
                f"{a.shape[1]} steps per trial, but n_steps = {n_steps}"
            )
        rows = np.ascontiguousarray(a.transpose(1, 0, 2).reshape(-1, a.shape[2]))
        return rows, a.shape[1]
    if a.ndim == 2:
        if n_steps is None:
            raise ValueError(
                "dsa: a 2-D activity [n_samples, n_units] needs n_steps (steps per trial; rows "
                "time-major, row s * n_trials + b = step s of trial b), or pass "
                "[n_trials, n_steps, n_units]"
            )
        return a, int(n_steps)
    raise ValueError(
        f"dsa: activity of shape {list(a.shape)}; expected [n_trials, n_steps, n_units] or "
        "[n_trials * n_steps, n_units]"
    )


def _dsa_options(values: dict[str, Any]) -> Any:
    return fill(_core.DsaOptions(), "dsa", values)


def prepare_dsa(
    x: npt.ArrayLike,
    n_steps: int | None = None,
    rank: int = 10,
    n_delays: int = 1,
    delay_interval: int = 1,
    **options: Any,
) -> PreparedDsa:
    """The linear operator DSA fits to ``x`` (Ostrow et al. 2023): delay embedding with
    ``n_delays`` vectors ``delay_interval`` steps apart, the top ``rank`` whitened principal
    coordinates u, and the least-squares fit u_{s+1} = A u_s + c within trials. Returns
    PreparedDsa: ``dynamics`` A [rank, rank], ``directions``, ``singular_values``,
    ``fit_residual`` and ``embedding_dynamics()`` (the operator on delay vectors)."""
    rows, steps = trial_rows(x, n_steps)
    values = dict(options, n_steps=steps, rank=rank, n_delays=n_delays,
                  delay_interval=delay_interval)
    return _core.prepare_dsa(_dsa_options(values), rows)


def dsa(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    n_steps: int | None = None,
    rank: int = 10,
    n_delays: int = 1,
    delay_interval: int = 1,
    distance: str = "angular",
    **options: Any,
) -> DsaResult:
    """Dynamical similarity analysis (Ostrow et al. 2023): the operators of ``x`` and ``y``
    (prepare_dsa) compared up to an orthogonal change of basis,
    min_C ||A_x - C A_y C^T||_F (``distance="euclidean"``) or the angle between A_x and C A_y C^T
    (``"angular"``, radians in [0, pi]). Both are in the result, with the alignment C.
    ``x``, ``y``: [n_trials, n_steps, n_units] (trials and units may differ between them), or 2-D
    with ``n_steps``. ``options``: rank_tolerance, and ``alignment`` as a dict of
    DsaAlignmentOptions (n_random_starts, n_screening_iterations, n_refined, max_iterations,
    tolerance, seed)."""
    x_rows, x_steps = trial_rows(x, n_steps)
    y_rows, y_steps = trial_rows(y, n_steps)
    values = dict(options, rank=rank, n_delays=n_delays, delay_interval=delay_interval,
                  distance=distance)
    opts = _dsa_options(dict(values, n_steps=x_steps))
    px = _core.prepare_dsa(opts, x_rows)
    opts.n_steps = y_steps
    py = _core.prepare_dsa(opts, y_rows)
    return _core.dsa_prepared(opts, px, py)


def operator_distance(
    a: npt.ArrayLike, b: npt.ArrayLike, distance: str = "angular", **options: Any
) -> DsaResult:
    """DSA's comparison step alone on two square operators a [n_a, n_a] and b [n_b, n_b] (the
    smaller is zero-padded): Procrustes analysis over vector fields. ``options``: ``alignment``
    as a dict of DsaAlignmentOptions fields."""
    opts = _dsa_options(dict(options, distance=distance))
    return _core.operator_distance(opts, a, b)
