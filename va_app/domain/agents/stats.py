"""Significance tests for experiments, without scipy (not installed here).

* rates (automation, error, handoff): two-proportion z-test with the pooled standard error;
* means (latency, CSAT): Welch's t-test, p-value from Student's t through the regularized
  incomplete beta function (Numerical Recipes' continued fraction), accurate to ~1e-10.

Both are two-sided. Units are turns: turns within one conversation are correlated, so with
long conversations the p-values are somewhat optimistic; the verdict says so when the
samples are small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TestResult:
    test: str
    statistic: float
    p_value: float


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def two_proportion_z(successes_a: int, n_a: int, successes_b: int, n_b: int) -> TestResult:
    """H0: both groups have the same rate. ``statistic`` is positive when b's rate is higher."""
    if n_a <= 0 or n_b <= 0:
        return TestResult("two-proportion z-test", 0.0, 1.0)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return TestResult("two-proportion z-test", 0.0, 1.0)
    z = (p_b - p_a) / se
    return TestResult("two-proportion z-test", z, min(1.0, 2 * normal_sf(abs(z))))


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 3e-14
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    ln_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(ln_front)
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def student_t_two_sided_p(t: float, df: float) -> float:
    return betainc(df / 2, 0.5, df / (df + t * t)) if df > 0 else 1.0


def welch_t(mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int) -> TestResult:
    """H0: equal means, variances not assumed equal. Positive statistic: b's mean is higher."""
    if n_a < 2 or n_b < 2:
        return TestResult("Welch t-test", 0.0, 1.0)
    va, vb = var_a / n_a, var_b / n_b
    se2 = va + vb
    if se2 <= 0:
        return TestResult("Welch t-test", 0.0, 1.0)
    t = (mean_b - mean_a) / math.sqrt(se2)
    df = se2 * se2 / ((va * va) / (n_a - 1) + (vb * vb) / (n_b - 1)) if va > 0 or vb > 0 else n_a + n_b - 2
    return TestResult("Welch t-test", t, min(1.0, student_t_two_sided_p(t, df)))


def required_sample_per_arm(
    rate: float, min_detectable_diff: float, z_alpha: float = 1.96, z_beta: float = 0.84
) -> int:
    """Turns per arm to detect ``min_detectable_diff`` on a rate at 5 % / 80 % power."""
    rate = min(max(rate, 1e-4), 1 - 1e-4)
    return math.ceil(2 * (z_alpha + z_beta) ** 2 * rate * (1 - rate) / (min_detectable_diff**2))
