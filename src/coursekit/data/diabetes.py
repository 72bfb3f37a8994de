"""Small real datasets that ship inside installed packages and need no download."""

from __future__ import annotations

import numpy as np

DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


def diabetes_xy(features: tuple[str, ...] = ("bmi", "bp")) -> tuple[np.ndarray, np.ndarray]:
    """The diabetes study of Efron et al. (2004), shipped with scikit-learn: 442 patients.

    Returns ``X`` of shape (442, len(features)) and ``y`` of shape (442,), each column and the
    target standardised to mean 0 and standard deviation 1 (float64). The target measures how
    far the disease progressed one year after the baseline measurements.
    """
    from sklearn.datasets import load_diabetes

    unknown = [f for f in features if f not in DIABETES_FEATURES]
    if unknown:
        raise ValueError(f"unknown diabetes feature(s) {unknown}; choose from {DIABETES_FEATURES}.")
    data = load_diabetes(scaled=False)
    columns = [DIABETES_FEATURES.index(f) for f in features]
    X = np.asarray(data.data[:, columns], dtype=np.float64)
    y = np.asarray(data.target, dtype=np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    return X, y
