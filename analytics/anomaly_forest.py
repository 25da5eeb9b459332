"""The multivariate detector: an IsolationForest over the metrics' standardised residuals.

Each metric alone may stay under its threshold while several move together (errors *and*
latency *and* handoffs up by a moderate amount: a degraded upstream model). The forest sees
the joint picture. It runs on robust z-scores (already deseasonalised and scaled), not on raw
KPIs, so the daily cycle is not "unusual" and tenants of any size look alike. A forest always
finds *something* most isolated, so a point counts only when its score is high and at least
two metrics deviate in their harmful direction: that keeps pure noise corners out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import IsolationForest

MIN_ROWS = 48
FEATURE_CLIP = 6.0


@dataclass(frozen=True)
class ForestSettings:
    score: float = 0.62  # sklearn's anomaly score (0.5 = ordinary, -> 1 = isolated at once)
    support_z: float = 2.5  # |z| a metric needs to count as moving
    support_metrics: int = 2
    trees: int = 100
    seed: int = 0


def forest_scores(features: np.ndarray, settings: ForestSettings) -> np.ndarray:
    """Anomaly score per row (NaN for rows without any baseline yet)."""
    scores = np.full(features.shape[0], np.nan)
    usable = ~np.all(np.isnan(features), axis=1)
    if usable.sum() < MIN_ROWS or features.shape[1] < 2:
        return scores
    data = np.clip(np.nan_to_num(features[usable], nan=0.0), -FEATURE_CLIP, FEATURE_CLIP)
    forest = IsolationForest(n_estimators=settings.trees, random_state=settings.seed, n_jobs=1)
    forest.fit(data)
    scores[usable] = -forest.score_samples(data)
    return scores


def forest_flags(
    features: np.ndarray, settings: ForestSettings, groups: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(flag per row, score per row); features are direction-adjusted z (harm is positive).

    ``groups`` names the evidence group of each column: metrics that move together by
    construction (volume and cost) count once toward ``support_metrics``.
    """
    scores = forest_scores(features, settings)
    moving = np.nan_to_num(features, nan=0.0) >= settings.support_z
    labels = groups or [str(i) for i in range(features.shape[1])]
    support = np.zeros(features.shape[0], dtype=np.int64)
    for label in dict.fromkeys(labels):
        columns = [i for i, g in enumerate(labels) if g == label]
        support += moving[:, columns].any(axis=1)
    flags = (np.nan_to_num(scores, nan=0.0) >= settings.score) & (support >= settings.support_metrics)
    return flags, scores
