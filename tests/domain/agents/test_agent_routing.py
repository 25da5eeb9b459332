"""Consistent hashing: splits match percentages, assignments are sticky and monotone."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from va_app.domain.agents import routing
from va_app.domain.agents.routing import RouteTable

N = 100_000
AGENT = "0b7c7a36-5f1e-4a57-9a43-1f1f0c7e2a10"


def _ids(n: int = N) -> list[str]:
    return [str(uuid.UUID(int=i * 7919 + 1)) for i in range(n)]


@pytest.mark.parametrize("percent", [1, 5, 25, 50, 90])
def test_canary_split_matches_percent(percent: int) -> None:
    table = RouteTable("production", stable=1, candidate=2, candidate_percent=percent)
    hits = sum(routing.route(table, AGENT, cid) == 2 for cid in _ids())
    p = percent / 100
    tolerance = 4 * (p * (1 - p) / N) ** 0.5  # 4 standard deviations
    assert abs(hits / N - p) < tolerance, (hits / N, p)


def test_three_way_experiment_split() -> None:
    table = RouteTable("production", stable=1, variants=((1, 50), (2, 30), (3, 20)))
    counts = {1: 0, 2: 0, 3: 0}
    for cid in _ids():
        counts[routing.route(table, AGENT, cid)] += 1
    for version, share in ((1, 0.5), (2, 0.3), (3, 0.2)):
        assert abs(counts[version] / N - share) < 0.01


def test_same_conversation_same_version_and_user_wins() -> None:
    table = RouteTable("production", stable=1, candidate=2, candidate_percent=50)
    for cid in _ids(1000):
        assert routing.route(table, AGENT, cid) == routing.route(table, AGENT, cid)
    # one end user sees one version across conversations
    versions = {routing.route(table, AGENT, cid, user_id="guest-42") for cid in _ids(200)}
    assert len(versions) == 1


def test_raising_the_percentage_only_moves_stable_traffic_to_the_candidate() -> None:
    small = RouteTable("production", stable=1, candidate=2, candidate_percent=5)
    large = RouteTable("production", stable=1, candidate=2, candidate_percent=50)
    for cid in _ids(20_000):
        if routing.route(small, AGENT, cid) == 2:
            assert routing.route(large, AGENT, cid) == 2


def test_buckets_are_stable_across_processes() -> None:
    """No per-process hash seed: another interpreter computes the same buckets."""
    ids = _ids(50)
    here = [routing.bucket(AGENT, i) for i in ids]
    code = (
        f"import sys; from va_app.domain.agents.routing import bucket; print([bucket({AGENT!r}, i) for i in {ids!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(here)


def test_agents_are_decorrelated() -> None:
    table = RouteTable("production", stable=1, candidate=2, candidate_percent=10)
    other = "9d3c0f52-8c71-4a55-bb1e-0c2d7e1f0a99"
    both = sum(routing.route(table, AGENT, c) == 2 and routing.route(table, other, c) == 2 for c in _ids(20_000))
    assert both / 20_000 < 0.02  # independent: ~1 %, not 10 %


def test_tables_round_trip_and_edge_cases() -> None:
    table = RouteTable("staging", stable=3, candidate=4, candidate_percent=25, draining=(2,))
    assert RouteTable.from_dict(table.to_dict()) == table
    assert table.pinnable() == {2, 3, 4}
    assert RouteTable("staging", stable=3).arms() == ((3, routing.BUCKETS),)
    assert RouteTable("staging", stable=None).arms() == ()
    with pytest.raises(ValueError):
        routing.sticky_key("", None)
