"""Events carry agent ids; people know slugs. Dashboards and the explorer take either and
name the agent's slug next to its id."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import orjson
import pytest

from core.bus import BusMessage
from core.events import validate_event
from ingest.processors import process
from ingest.writers import write_events
from tests.api_client import bearer
from tests.factories import create_agent, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
API = "/api/v1"


def _write(tenant: str, agent: str, n: int, at: dt.datetime) -> None:
    events = [
        validate_event(
            {
                "type": "conversation.logs",
                "ts": (at + dt.timedelta(seconds=i)).isoformat(),
                "payload": {"agent_id": agent, "version": 1, "conversation_id": f"{agent}-{i}", "channel": "web"},
            },
            tenant,
        ).model_dump(mode="json")
        for i in range(n)
    ]
    message = BusMessage("conversation.logs", tenant, orjson.dumps({"events": events}), "1-0")
    write_events(process([message]), token=f"labels-{uuid.uuid4()}")


async def test_agent_filters_take_a_slug_and_rows_name_it(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    agent_id = await create_agent(tenant, slug="front-desk")
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)
    _write(str(tenant.tenant_id), agent_id, 5, at)
    _write(str(tenant.tenant_id), "legacy-bot", 3, at)  # events of an agent the platform never knew
    h = bearer(tenant.owner_key)
    since = {"start": (at - dt.timedelta(minutes=1)).isoformat()}

    board = (await api.get(f"{API}/analytics/dashboards", params={**since, "panels": "by_agent"}, headers=h)).json()
    labels = {row["dimension"]: row["agent_slug"] for row in board["panels"]["by_agent"]}
    assert labels == {agent_id: "front-desk", "legacy-bot": ""}
    one = await api.get(
        f"{API}/analytics/dashboards", params={**since, "agent_id": "front-desk", "panels": "summary"}, headers=h
    )
    assert one.status_code == 200 and one.json()["panels"]["summary"]["events"] == 5

    found = (await api.get(f"{API}/conversations", params={**since, "agent_id": "front-desk"}, headers=h)).json()
    assert found["count"] == 5 and {r["agent_slug"] for r in found["data"]} == {"front-desk"}
