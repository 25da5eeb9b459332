"""What the console's budget form offers and how budget rows name their target."""

from __future__ import annotations

import dataclasses

import pytest

from tests.factories import create_tenant
from va_app.domain.agents import service as agents
from va_app.domain.identity.api_keys import create_api_key, revoke_api_key
from va_app.domain.llm.budget_targets import Target, budget_targets

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_targets_name_agents_by_slug_and_keys_by_name_within_the_tenant() -> None:
    tenant, other = await create_tenant(), await create_tenant()
    owner = tenant.owner()
    live = await agents.create_agent(owner, slug="zeta-desk", name="Zeta")
    old = await agents.create_agent(owner, slug="alpha-desk", name="Alpha")
    await agents.set_archived(owner, old.slug, True)
    await agents.create_agent(other.owner(), slug="foreign-desk", name="Not ours")
    widget = await create_api_key(owner, name="website widget", role="developer")
    gone = await create_api_key(owner, name="old backend", role="viewer")
    await revoke_api_key(owner, gone.key.id)

    targets = await budget_targets(owner)

    # archived agents keep their name (their budgets still show) but are not offered again
    assert targets.agents == [Target(old.id, "alpha-desk", False), Target(live.id, "zeta-desk", True)]
    keys = {t.id: t for t in targets.keys}
    assert keys[str(widget.key.id)] == Target(str(widget.key.id), f"website widget (va_{widget.key.prefix}_…)", True)
    assert keys[str(gone.key.id)].label.endswith("— revoked")
    assert not keys[str(gone.key.id)].selectable
    assert len(keys) == 3  # the owner's provisioned key, and ours; none of the other tenant's

    # a viewer may read agents but not keys: key budgets then show a short id instead
    viewer = dataclasses.replace(owner, role="viewer")
    seen = await budget_targets(viewer)
    assert [t.label for t in seen.agents] == ["alpha-desk", "zeta-desk"]
    assert seen.keys == []
