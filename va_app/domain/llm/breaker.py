"""Per-deployment health: a circuit breaker and an EWMA of latency.

Closed: calls flow; ``failure_threshold`` consecutive failures open the circuit. Open: the
deployment is skipped for ``open_s`` seconds, so a dead provider costs nothing instead of a
timeout per request. Half-open: one probe call is let through; success closes the circuit,
failure opens it again. State is per process (the breaker must react in microseconds);
latency EWMAs are also shared through Redis so a new process starts informed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half_open"]
EWMA_ALPHA = 0.2


@dataclass(slots=True)
class DeploymentHealth:
    deployment: str
    model: str
    state: State = "closed"
    consecutive_failures: int = 0
    opened_at: float = 0.0
    probe_in_flight: bool = False
    latency_ewma_ms: float | None = None
    calls: int = 0
    failures: int = 0
    last_error: str | None = None

    def public(self) -> dict[str, object]:
        return {
            "deployment": self.deployment,
            "model": self.model,
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "failures": self.failures,
            "calls": self.calls,
            "latency_ewma_ms": None if self.latency_ewma_ms is None else round(self.latency_ewma_ms, 3),
            "last_error": self.last_error,
        }


class CircuitBreakers:
    def __init__(
        self, failure_threshold: int = 5, open_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failure_threshold = failure_threshold
        self.open_s = open_s
        self._clock = clock
        self._health: dict[str, DeploymentHealth] = {}

    def get(self, deployment: str, model: str = "") -> DeploymentHealth:
        health = self._health.get(deployment)
        if health is None:
            health = self._health[deployment] = DeploymentHealth(deployment, model or deployment)
        return health

    def state(self, deployment: str) -> State:
        health = self._health.get(deployment)
        if health is None:
            return "closed"
        if health.state == "open" and self._clock() - health.opened_at >= self.open_s:
            health.state = "half_open"
            health.probe_in_flight = False
        return health.state

    def available(self, deployment: str) -> bool:
        """May a call be routed here now? (Does not claim the half-open probe.)"""
        state = self.state(deployment)
        return state == "closed" or (state == "half_open" and not self._health[deployment].probe_in_flight)

    def acquire(self, deployment: str, model: str = "") -> bool:
        """Claim the right to call; in half-open only one caller gets the probe."""
        state = self.state(deployment)
        if state == "closed":
            return True
        if state == "half_open":
            health = self.get(deployment, model)
            if not health.probe_in_flight:
                health.probe_in_flight = True
                return True
        return False

    def record_success(self, deployment: str, model: str, latency_ms: float) -> None:
        health = self.get(deployment, model)
        health.calls += 1
        health.consecutive_failures = 0
        health.state = "closed"
        health.probe_in_flight = False
        prev = health.latency_ewma_ms
        health.latency_ewma_ms = latency_ms if prev is None else prev + EWMA_ALPHA * (latency_ms - prev)

    def record_failure(self, deployment: str, model: str, error: str, *, counts: bool = True) -> None:
        """``counts=False`` for request-specific failures (context window, content policy)."""
        health = self.get(deployment, model)
        health.calls += 1
        health.failures += 1
        health.last_error = error[:300]
        if not counts:
            health.probe_in_flight = False
            return
        health.consecutive_failures += 1
        if health.state == "half_open" or health.consecutive_failures >= self.failure_threshold:
            health.state = "open"
            health.opened_at = self._clock()
        health.probe_in_flight = False

    def latency(self, deployment: str) -> float | None:
        health = self._health.get(deployment)
        return None if health is None else health.latency_ewma_ms

    def seed_latency(self, deployment: str, model: str, latency_ms: float) -> None:
        """A value from another process, used only where this one has not measured yet."""
        health = self.get(deployment, model)
        if health.latency_ewma_ms is None:
            health.latency_ewma_ms = latency_ms

    def snapshot(self) -> list[dict[str, object]]:
        for deployment in list(self._health):
            self.state(deployment)  # let expired open circuits show as half-open
        return [h.public() for h in sorted(self._health.values(), key=lambda h: h.deployment)]
