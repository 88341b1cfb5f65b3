"""Conversion of user arrays to float64, refusing what numpy would convert with only a warning."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def real(values: npt.ArrayLike, what: str) -> np.ndarray:
    """``values`` as a float64 array. ValueError naming ``what`` for complex values: numpy would
    drop the imaginary part with only a ComplexWarning."""
    array = np.asarray(values)
    if np.iscomplexobj(array):
        raise ValueError(f"{what} is complex (dtype {array.dtype}); pass real values (e.g. its "
                         ".real part)")
    return np.asarray(array, dtype=np.float64)
