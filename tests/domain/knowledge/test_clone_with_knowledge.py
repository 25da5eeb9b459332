"""Cloning an agent into another tenant takes its knowledge bases along (embeddings too)."""

from __future__ import annotations

import httpx
import pytest

from tests.api_client import bearer
from tests.factories import create_tenant
from va_app.domain.identity.api_keys import create_api_key
from va_app.domain.identity.principal import system_principal

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
API = "/api/v1"
FAQ = b"Breakfast is served from 6:30 to 10:30 in the Garden Room.\n\nThe pool opens at 7 and closes at 21."


async def test_cross_tenant_clone_copies_knowledge(api: httpx.AsyncClient) -> None:
    source, target = await create_tenant(), await create_tenant()
    platform = await create_api_key(system_principal(source.tenant_id, "test"), name="ops", role="superadmin")
    h = bearer(platform.secret)
    kb = (await api.post(f"{API}/knowledge-bases", json={"name": "Hotel FAQ"}, headers=h)).json()
    upload = await api.post(
        f"{API}/knowledge-bases/{kb['id']}/documents", files={"file": ("faq.txt", FAQ, "text/plain")}, headers=h
    )
    assert upload.status_code in (201, 202), upload.text
    assert (
        await api.post(f"{API}/agents", json={"slug": "concierge", "name": "Concierge"}, headers=h)
    ).status_code == 201
    version = await api.post(
        f"{API}/agents/concierge/versions",
        json={"system_prompt": "Help guests.", "knowledge_base_ids": [kb["id"]], "change_note": "v1"},
        headers=h,
    )
    assert version.status_code == 201, version.text

    clone = await api.post(
        f"{API}/agents/concierge/clone",
        json={"slug": "concierge-copy", "target_tenant_id": str(target.tenant_id)},
        headers=h,
    )
    assert clone.status_code == 201, clone.text
    new_kbs = clone.json()["version"]["knowledge_base_ids"]
    assert len(new_kbs) == 1 and new_kbs[0] != kb["id"]
    assert any("copied" in note for note in clone.json()["notes"])

    theirs = bearer(target.owner_key)
    found = await api.post(
        f"{API}/knowledge-bases/{new_kbs[0]}/search", json={"query": "when is breakfast", "k": 1}, headers=theirs
    )
    assert found.status_code == 200, found.text
    assert "Breakfast" in found.json()["data"][0]["content"]
    # the source tenant's base is untouched and still only theirs
    assert (await api.get(f"{API}/knowledge-bases/{kb['id']}", headers=theirs)).status_code == 404
    assert (await api.get(f"{API}/knowledge-bases/{kb['id']}", headers=h)).status_code == 200
