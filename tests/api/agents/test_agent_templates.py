"""Agent templates through the API: catalogue, preview, create from a template, clone (never into
another tenant), and the agent health checks before and after shipping."""

from __future__ import annotations

import httpx
import pytest

from tests.api.agents.steps import API, ship
from tests.api_client import bearer
from tests.factories import create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_templates_clone_and_health(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    catalogue = (await api.get(f"{API}/agent-templates", headers=h)).json()
    assert {t["id"] for t in catalogue["data"]} >= {
        "hotel-concierge",
        "support-faq",
        "sales-lead-qualification",
        "it-helpdesk",
    }
    preview = (
        await api.get(
            f"{API}/agent-templates/preview", params={"template_id": "hotel-concierge", "variant": "resort"}, headers=h
        )
    ).json()
    assert "kids' club" in preview["version"]["system_prompt"]
    created = await api.post(
        f"{API}/agents/from-template",
        json={
            "template_id": "hotel-concierge",
            "slug": "aurelia-paris",
            "brand": "aurelia",
            "variant": "luxury",
            "variables": {"property_name": "Aurelia Paris", "brand_name": "Aurelia Hotels"},
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["agent"]["template"] == "hotel-concierge" and body["version"]["number"] == 1
    assert "Aurelia Paris" in body["version"]["system_prompt"] and "{{" not in body["version"]["system_prompt"]
    assert body["version"]["handoff_rules"]["target_queue"] == "front-desk"
    bad_variant = await api.post(
        f"{API}/agents/from-template",
        json={"template_id": "hotel-concierge", "slug": "x-1", "variant": "castle"},
        headers=h,
    )
    assert bad_variant.status_code == 400

    clone = await api.post(
        f"{API}/agents/aurelia-paris/clone", json={"slug": "northstar-berlin", "brand": "northstar"}, headers=h
    )
    assert clone.status_code == 201, clone.text
    assert clone.json()["agent"]["brand"] == "northstar"
    assert clone.json()["version"]["system_prompt"] == body["version"]["system_prompt"]
    assert clone.json()["version"]["change_note"] == "cloned from aurelia-paris v1"
    other = await create_tenant()
    cross = await api.post(
        f"{API}/agents/aurelia-paris/clone",
        json={"slug": "stolen", "target_tenant_id": str(other.tenant_id)},
        headers=h,
    )
    assert cross.status_code == 403

    sick = (await api.get(f"{API}/agents/aurelia-paris/health", headers=h)).json()
    assert sick["status"] == "unhealthy"
    assert {c["name"]: c["ok"] for c in sick["checks"]}["deployment"] is False
    await ship(api, h, "aurelia-paris", 1)
    well = (await api.get(f"{API}/agents/aurelia-paris/health", headers=h)).json()
    checks = {c["name"]: c for c in well["checks"]}
    assert well["status"] == "healthy" and well["version"] == 1
    assert checks["version_resolvable"]["ok"] and checks["policy_valid"]["ok"]
    assert checks["knowledge_bases_reachable"]["ok"]
    # the chat runtime registers a real scripted turn (va_app.domain.conversations.probe)
    assert checks["synthetic_conversation"]["ok"] is True, checks["synthetic_conversation"]
