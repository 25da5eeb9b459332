"""API steps the agent tests share: create an agent and its versions, deploy and ship them,
read the tenant's agent events off the bus, and write synthetic traffic for the rollout
controller and experiments to judge."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import orjson

from analytics import generator
from core import cache
from core.bus_redis import stream_name

API = "/api/v1"


async def new_agent(api: httpx.AsyncClient, h: dict, slug: str | None = None, **fields: object) -> str:
    body = {"slug": slug or f"a-{uuid.uuid4().hex[:8]}", "name": "Concierge", **fields}
    resp = await api.post(f"{API}/agents", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


async def new_version(api: httpx.AsyncClient, h: dict, agent: str, **content: object) -> int:
    body = {"system_prompt": "You are a concierge.", "change_note": "test", **content}
    resp = await api.post(f"{API}/agents/{agent}/versions", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    return resp.json()["number"]


async def deploy(api: httpx.AsyncClient, h: dict, agent: str, version: int, env: str, **extra: object):
    body = {"version": version, "environment": env, **extra}
    return await api.put(f"{API}/agents/{agent}/deploy", json=body, headers=h)


async def ship(api: httpx.AsyncClient, h: dict, agent: str, version: int, until: str = "production") -> None:
    for env in ("development", "staging", "production"):
        resp = await deploy(api, h, agent, version, env)
        assert resp.status_code == 200, resp.text
        if env == until:
            return


async def agent_events(tenant_id: str) -> list[dict]:
    entries = await cache.get_redis().xrange(stream_name("agent.events"))
    events: list[dict] = []
    for _id, fields in entries:
        for event in orjson.loads(fields[b"v"])["events"]:
            if event["tenant_id"] == tenant_id:
                events.append(event)
    return events


def write_traffic(
    tenant_id: str,
    agent: str,
    start: dt.datetime,
    end: dt.datetime,
    seed: int,
    environment: str = "production",
    **incident: object,
) -> None:
    """Synthetic turns for versions 1 (10 %) and 2 (90 %) in [start, end) served in ``environment``,
    optionally an incident on one version."""
    incidents = [generator.Incident(agent, start, end, **incident)] if incident else []  # type: ignore[arg-type]
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(tenant_id, (generator.AgentSpec(agent, (1, 2)),))],
        events=4000,
        end=end,
        days=(end - start).total_seconds() / 86400,
        seed=seed,
        incidents=incidents,
        environment=environment,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
