"""Rollouts and experiments judge versions by their users' turns in one environment: operators
testing a version from the console's Try it tab (channel ``console``), turns served in another
environment and turns that do not say where they were served are left out of the decision."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from analytics.queries.variants import OPERATOR_TEST_CHANNEL, version_stats
from core.bus import BusMessage
from core.events import validate_event
from ingest.processors import process
from ingest.writers import write_events

pytestmark = [pytest.mark.clickhouse]


def _turns(
    tenant: str, agent: str, channel: str, outcome: str, n: int, at: dt.datetime, environment: str = "production"
) -> list[dict]:
    return [
        validate_event(
            {
                "type": "conversation.logs",
                "ts": (at + dt.timedelta(seconds=i)).isoformat(),
                "payload": {
                    "agent_id": agent,
                    "version": 2,
                    "conversation_id": f"{channel}-{environment}-{i}",
                    "channel": channel,
                    "environment": environment,
                    "outcome": outcome,
                    "latency_ms": 100,
                },
            },
            tenant,
        ).model_dump(mode="json")
        for i in range(n)
    ]


def test_console_turns_do_not_count_for_rollouts_and_experiments() -> None:
    tenant, agent = str(uuid.uuid4()), "checkout-bot"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    events = _turns(tenant, agent, "web", "answered", 40, start)
    events += _turns(tenant, agent, OPERATOR_TEST_CHANNEL, "error", 10, start)  # an operator poking at it
    message = BusMessage("conversation.logs", tenant, orjson.dumps({"events": events}), "1-0")
    write_events(process([message]), token=f"test-{uuid.uuid4()}")

    stats = version_stats(
        tenant, agent, start - dt.timedelta(minutes=1), start + dt.timedelta(minutes=5), environment="production"
    )
    row = stats.row(0, named=True)
    assert row["version"] == 2 and row["events"] == 40 and row["errors"] == 0


def test_verdicts_count_only_the_environment_they_judge() -> None:
    tenant, agent = str(uuid.uuid4()), "checkout-bot"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    events = _turns(tenant, agent, "web", "answered", 30, start)
    events += _turns(tenant, agent, "web", "error", 20, start, environment="staging")
    events += _turns(tenant, agent, "web", "error", 5, start, environment="")  # an older producer: unknown
    message = BusMessage("conversation.logs", tenant, orjson.dumps({"events": events}), "1-0")
    write_events(process([message]), token=f"test-{uuid.uuid4()}")
    window = (start - dt.timedelta(minutes=1), start + dt.timedelta(minutes=5))

    production = version_stats(tenant, agent, *window, environment="production").row(0, named=True)
    staging = version_stats(tenant, agent, *window, environment="staging").row(0, named=True)
    assert (production["events"], production["errors"]) == (30, 0)
    assert (staging["events"], staging["errors"]) == (20, 20)
    assert version_stats(tenant, agent, *window, environment="development").is_empty()
    with pytest.raises(ValueError, match="per environment"):
        version_stats(tenant, agent, *window, environment="")


def test_a_copy_already_stored_counts_once_in_verdicts() -> None:
    """Copies stored before the ingest dedup window existed (or after it expired) must not
    weigh twice in a rollout or experiment decision."""
    tenant, agent = str(uuid.uuid4()), "checkout-bot"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    events = _turns(tenant, agent, "web", "error", 5, start) + _turns(tenant, agent, "web", "answered", 5, start)
    for n in range(2):  # the same events in two separate inserts: raw holds every row twice
        message = BusMessage("conversation.logs", tenant, orjson.dumps({"events": events}), f"{n + 1}-0")
        write_events(process([message]), token=f"test-{uuid.uuid4()}")

    stats = version_stats(
        tenant, agent, start - dt.timedelta(minutes=1), start + dt.timedelta(minutes=5), environment="production"
    )
    row = stats.row(0, named=True)
    assert row["events"] == 10 and row["errors"] == 5 and row["contained"] == 5
