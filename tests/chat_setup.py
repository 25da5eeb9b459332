"""A tenant with a hotel agent grounded in an uploaded FAQ, shipped to production through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import orjson

from core import cache
from core.bus_redis import stream_name
from tests.api_client import bearer
from tests.factories import TenantFixture, create_tenant
from va_app.domain.conversations import events

API = "/api/v1"
FAQ = b"""question,answer
What time is check-in?,Check-in starts at 15:00; early check-in from 12:00 is possible on request.
What time is check-out?,Check-out is at 11:00. Late check-out until 14:00 costs 30 EUR.
Is breakfast included?,Breakfast is served from 6:30 to 10:30 in the Atrium and is included in every room rate.
Do you have parking?,Valet parking costs 35 EUR per night; the garage entrance is on Rue Cambon.
What is the Wi-Fi password?,Join the network Aurelia-Guest; the password is printed on your key card sleeve.
Is there a swimming pool?,The indoor pool on level -1 is open from 7:00 to 21:00 and towels are provided.
Are pets allowed?,Dogs under 10 kg are welcome for 25 EUR per night.
"""


@dataclass(frozen=True)
class HotelAgent:
    tenant: TenantFixture
    slug: str
    agent_id: str
    kb_id: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tenant.owner_key)


async def ship(api: httpx.AsyncClient, headers: dict[str, str], slug: str, version: int) -> None:
    for env in ("development", "staging", "production"):
        resp = await api.put(
            f"{API}/agents/{slug}/deploy", json={"version": version, "environment": env}, headers=headers
        )
        assert resp.status_code == 200, resp.text


async def add_version(api: httpx.AsyncClient, headers: dict[str, str], slug: str, **changes: object) -> int:
    """A new version: the latest one's content with ``changes``."""
    latest = (await api.get(f"{API}/agents/{slug}/versions", headers=headers)).json()["data"][0]
    fields = ["system_prompt", "greeting", "model_policy", "temperature", "knowledge_base_ids"]
    fields += ["allowed_actions", "guardrails", "handoff_rules"]
    body = {f: latest[f] for f in fields} | {"change_note": "test"} | changes
    resp = await api.post(f"{API}/agents/{slug}/versions", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["number"])


async def hotel_agent(api: httpx.AsyncClient, tenant: TenantFixture | None = None, slug: str = "") -> HotelAgent:
    tenant = tenant or await create_tenant()
    h = bearer(tenant.owner_key)
    slug = slug or f"hotel-{uuid.uuid4().hex[:6]}"
    kb = (await api.post(f"{API}/knowledge-bases", json={"name": "Hotel FAQ"}, headers=h)).json()
    doc = await api.post(
        f"{API}/knowledge-bases/{kb['id']}/documents", files={"file": ("faq.csv", FAQ, "text/csv")}, headers=h
    )
    assert doc.status_code == 201, doc.text
    created = await api.post(
        f"{API}/agents/from-template",
        json={
            "template_id": "hotel-concierge",
            "slug": slug,
            "variables": {"property_name": "Aurelia Paris", "brand_name": "Aurelia Hotels"},
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    version = await add_version(api, h, slug, knowledge_base_ids=[kb["id"]])
    await ship(api, h, slug, version)
    return HotelAgent(tenant, slug, created.json()["agent"]["id"], kb["id"])


async def bus_events(topic: str, tenant_id: uuid.UUID | str) -> list[dict]:
    """Envelopes published on ``topic`` for one tenant (after flushing the turn batcher)."""
    await events.flush()
    found: list[dict] = []
    for _id, fields in await cache.get_redis().xrange(stream_name(topic)):
        for event in orjson.loads(fields[b"v"])["events"]:
            if event["tenant_id"] == str(tenant_id):
                found.append(event)
    return found
