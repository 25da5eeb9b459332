"""Circuit breaker: closed -> open after N consecutive failures -> half-open probe -> closed/open."""

from __future__ import annotations

from va_app.domain.llm.breaker import CircuitBreakers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_state_machine() -> None:
    clock = Clock()
    breakers = CircuitBreakers(failure_threshold=3, open_s=10, clock=clock)
    dep = "openai/gpt-4o"
    for _ in range(2):
        assert breakers.acquire(dep, "gpt-4o")
        breakers.record_failure(dep, "gpt-4o", "HTTP 500")
    assert breakers.state(dep) == "closed"
    breakers.record_failure(dep, "gpt-4o", "HTTP 500")
    assert breakers.state(dep) == "open" and not breakers.acquire(dep)

    clock.now += 10
    assert breakers.state(dep) == "half_open"
    assert breakers.acquire(dep)  # the one probe
    assert not breakers.acquire(dep)  # nobody else while it is in flight
    breakers.record_failure(dep, "gpt-4o", "HTTP 500")
    assert breakers.state(dep) == "open"  # a failed probe opens again at once

    clock.now += 10
    assert breakers.acquire(dep)
    breakers.record_success(dep, "gpt-4o", 120.0)
    assert breakers.state(dep) == "closed" and breakers.acquire(dep)


def test_a_success_resets_the_consecutive_count() -> None:
    breakers = CircuitBreakers(failure_threshold=2, open_s=10)
    breakers.record_failure("d", "m", "x")
    breakers.record_success("d", "m", 10)
    breakers.record_failure("d", "m", "x")
    assert breakers.state("d") == "closed"


def test_request_specific_failures_do_not_open_the_circuit() -> None:
    breakers = CircuitBreakers(failure_threshold=1, open_s=10)
    breakers.record_failure("d", "m", "context window", counts=False)
    assert breakers.state("d") == "closed"


def test_latency_ewma_and_snapshot() -> None:
    breakers = CircuitBreakers()
    breakers.record_success("d", "m", 100)
    breakers.record_success("d", "m", 200)
    assert breakers.latency("d") == 100 + 0.2 * 100
    breakers.seed_latency("d", "m", 5)  # another process's value never overrides a measurement
    assert breakers.latency("d") == 120
    (row,) = breakers.snapshot()
    assert row["state"] == "closed" and row["calls"] == 2 and row["latency_ewma_ms"] == 120
