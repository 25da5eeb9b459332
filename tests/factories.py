"""Factories with sensible defaults, going through the real domain services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from va_app.domain.identity.api_keys import create_api_key
from va_app.domain.identity.principal import Principal
from va_app.domain.identity.tenants import ProvisionedTenant, provision_tenant


@dataclass(frozen=True)
class TenantFixture:
    provisioned: ProvisionedTenant
    owner_key: str

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.provisioned.tenant_id

    def owner(self) -> Principal:
        return Principal(
            tenant_id=self.tenant_id,
            role="owner",
            actor_type="user",
            actor_id=str(self.provisioned.owner_user_id),
            label=self.provisioned.owner_email,
            user_id=self.provisioned.owner_user_id,
        )


async def create_tenant(name: str | None = None, *, owner_password: str | None = None) -> TenantFixture:
    suffix = uuid.uuid4().hex[:8]
    provisioned = await provision_tenant(
        None,
        name=name or f"Tenant {suffix}",
        slug=f"t-{suffix}",
        owner_email=f"owner-{suffix}@example.com",
        owner_password=owner_password,
    )
    return TenantFixture(provisioned, provisioned.owner_api_key)


async def create_key(tenant: TenantFixture, role: str, **fields: object) -> str:
    created = await create_api_key(tenant.owner(), name=f"{role} key", role=role, **fields)  # type: ignore[arg-type]
    return created.secret


async def create_agent(tenant: TenantFixture, slug: str | None = None) -> str:
    """An agent row for tests that need one before the agents API exists in them."""
    from core import db
    from models.repositories import agents as agents_repo

    async with db.session_scope() as session:
        agent = await agents_repo.create_agent(
            session=session, tenant_id=tenant.tenant_id, slug=slug or f"agent-{uuid.uuid4().hex[:6]}", name="Agent"
        )
        return str(agent.id)
