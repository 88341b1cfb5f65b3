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

Populations: rnnatlas.distance_matrix, rnnatlas.mds, rnnatlas.cluster_stats, rnnatlas.mantel_test.
"""
# Module maintainer: rnnatlas python.

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import PwccaResult, SvccaResult
from ._options import fill

__all__ = ["PwccaResult", "SvccaResult", "cca", "cka", "pwcca", "shape_distance", "svcca"]


def cca(x: npt.ArrayLike, y: npt.ArrayLike, **options: Any) -> np.ndarray:
    """All canonical correlations [min(rank x, rank y)] of x and y, descending, in [0, 1]."""
    return _core.cca(fill(_core.CcaOptions(), "cca", options), x, y)


def svcca(x: npt.ArrayLike, y: npt.ArrayLike, k: int = 10, **options: Any) -> SvccaResult:
    """SVCCA (Raghu et al. 2017): CCA between the top-``k`` principal subspaces of each side (or,
    with ``variance_fraction`` > 0, the fewest directions reaching that fraction of variance)."""
    return _core.svcca(fill(_core.SvccaOptions(), "svcca", dict(options, k=k)), x, y)


def pwcca(x: npt.ArrayLike, y: npt.ArrayLike, **options: Any) -> PwccaResult:
    """Projection-weighted CCA (Morcos et al. 2018); the weights come from ``x``, so
    ``pwcca(x, y) != pwcca(y, x)`` in general."""
    return _core.pwcca(fill(_core.CcaOptions(), "pwcca", options), x, y)


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
    return _core.cka(options, x, y)


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
    return _core.shape_distance(fill(_core.ShapeOptions(), "shape", values), x, y)
