"""The rollout decision, as a pure function: advance, hold, roll back or complete.

Inputs are the KPIs of the stable and the candidate version measured over the same window
(since the current step started), the thresholds of the deployment, the schedule and the
time spent in the step. Keeping I/O out makes every rule unit-testable and lets the
controller (``controller.py``) stay a thin loop.

Order of the rules matters: a regression rolls back even before the hold time is over
(bad versions should leave fast), while advancing needs both the hold time and enough
traffic to judge (good versions should prove themselves).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["advance", "hold", "rollback", "complete"]

DEFAULT_SCHEDULE: tuple[dict[str, int], ...] = (
    {"percent": 5, "hold_seconds": 600},
    {"percent": 25, "hold_seconds": 600},
    {"percent": 50, "hold_seconds": 600},
    {"percent": 100, "hold_seconds": 0},
)


@dataclass(frozen=True)
class Kpis:
    """What one version did in the window (rates in 0..1, latency in ms)."""

    events: int = 0
    error_rate: float = 0.0
    latency_p95: float = 0.0
    handoff_rate: float = 0.0
    conversations: int = 0  # distinct conversations: the sample size for rate comparisons

    @property
    def sample(self) -> int:
        """Turns of one conversation fail or hand off together, so a rate is only as sure as
        the number of conversations behind it (turns when that is unknown)."""
        return self.conversations or self.events


@dataclass(frozen=True)
class Thresholds:
    """When a candidate counts as regressed; every field configurable per deployment.

    ``max_error_rate`` is absolute (the brief's default: over 2 % rolls back); the other
    limits compare with the stable version in the same window, so a busy day that slows both
    does not roll anything back.
    """

    max_error_rate: float = 0.02
    max_error_rate_increase: float = 0.01
    max_latency_p95_ratio: float = 1.5
    max_handoff_rate_increase: float = 0.05
    min_events: int = 50

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Thresholds:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Step:
    percent: int
    hold_seconds: int = 600


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    next_step: int | None = None
    next_percent: int | None = None


def parse_schedule(raw: Sequence[dict[str, Any]] | None) -> list[Step]:
    """Validate a schedule: strictly increasing percents in 1..100, ending at 100."""
    steps = [Step(int(s["percent"]), int(s.get("hold_seconds", 600))) for s in (raw or DEFAULT_SCHEDULE)]
    if not steps:
        raise ValueError("schedule needs at least one step")
    previous = 0
    for step in steps:
        if not 1 <= step.percent <= 100 or step.percent <= previous:
            raise ValueError("schedule percents must increase strictly within 1..100")
        if not 0 <= step.hold_seconds <= 7 * 86400:
            raise ValueError("hold_seconds must be between 0 and 604800")
        previous = step.percent
    if steps[-1].percent != 100:
        raise ValueError("the last step of a schedule must be 100%")
    return steps


# One-sided z for "the candidate's rate is really higher" (1 % false alarms): a small stable
# slice (10 % of traffic for a few minutes) swings by several points on its own.
SIGNIFICANT_Z = 2.33


def rate_is_higher(stable_rate: float, stable_n: int, candidate_rate: float, candidate_n: int) -> bool:
    """Two-proportion z-test, one-sided: is the candidate's rate above the stable one's?"""
    if stable_n <= 0 or candidate_n <= 0 or candidate_rate <= stable_rate:
        return False
    pooled = (stable_rate * stable_n + candidate_rate * candidate_n) / (stable_n + candidate_n)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / stable_n + 1 / candidate_n))
    return spread == 0 or (candidate_rate - stable_rate) / spread > SIGNIFICANT_Z


def regression(stable: Kpis | None, candidate: Kpis, th: Thresholds) -> str | None:
    """Why the candidate regressed, or None. Judged only with ``min_events`` of candidate traffic."""
    if candidate.events < th.min_events:
        return None
    if candidate.error_rate > th.max_error_rate:
        return f"error rate {candidate.error_rate:.1%} is over the {th.max_error_rate:.1%} limit"
    if stable is None or stable.events < th.min_events:
        return None
    if candidate.error_rate > stable.error_rate + th.max_error_rate_increase and rate_is_higher(
        stable.error_rate, stable.sample, candidate.error_rate, candidate.sample
    ):
        return (
            f"error rate {candidate.error_rate:.1%} vs {stable.error_rate:.1%} on the stable version "
            f"(more than +{th.max_error_rate_increase:.1%})"
        )
    if stable.latency_p95 > 0 and candidate.latency_p95 > stable.latency_p95 * th.max_latency_p95_ratio:
        return (
            f"p95 latency {candidate.latency_p95:.0f} ms vs {stable.latency_p95:.0f} ms on the stable version "
            f"(more than x{th.max_latency_p95_ratio:g})"
        )
    if candidate.handoff_rate > stable.handoff_rate + th.max_handoff_rate_increase and rate_is_higher(
        stable.handoff_rate, stable.sample, candidate.handoff_rate, candidate.sample
    ):
        return (
            f"handoff rate {candidate.handoff_rate:.1%} vs {stable.handoff_rate:.1%} on the stable version "
            f"(more than +{th.max_handoff_rate_increase:.1%})"
        )
    return None


def decide(
    *,
    stable: Kpis | None,
    candidate: Kpis,
    thresholds: Thresholds,
    schedule: Sequence[Step],
    step_index: int,
    elapsed_s: float,
    automatic_advance: bool = True,
) -> Decision:
    """What to do with a rollout now. ``automatic_advance=False`` (canary) only ever rolls back."""
    why = regression(stable, candidate, thresholds)
    if why is not None:
        return Decision("rollback", why)
    if not automatic_advance:
        return Decision("hold", "canary: healthy; promote or roll back by hand")
    step = schedule[min(step_index, len(schedule) - 1)]
    if elapsed_s < step.hold_seconds:
        return Decision("hold", f"step {step_index + 1} ({step.percent}%): {step.hold_seconds - elapsed_s:.0f}s to go")
    if candidate.events < thresholds.min_events:
        return Decision("hold", f"waiting for traffic: {candidate.events} of {thresholds.min_events} events")
    nxt = step_index + 1
    if nxt >= len(schedule) or schedule[nxt].percent >= 100:
        return Decision("complete", f"healthy at {step.percent}% for {elapsed_s:.0f}s: promoted to 100%", nxt, 100)
    return Decision(
        "advance",
        f"healthy at {step.percent}% for {elapsed_s:.0f}s: advancing to {schedule[nxt].percent}%",
        nxt,
        schedule[nxt].percent,
    )
