"""Who is calling: the result of authentication, carried through every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from va_app.domain.errors import PermissionDenied
from va_app.domain.identity.permissions import Perm, permissions_for

ActorType = Literal["api_key", "user", "cli", "system"]


@dataclass(frozen=True)
class Principal:
    tenant_id: uuid.UUID
    role: str
    actor_type: ActorType
    actor_id: str
    label: str
    key_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    allowed_agents: tuple[str, ...] | None = None
    rate_limit_per_minute: int | None = None
    is_superadmin: bool = False
    tenant_rate_limit_per_minute: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def permissions(self) -> frozenset[Perm]:
        return permissions_for("superadmin" if self.is_superadmin else self.role)

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied(f"role '{self.role}' lacks permission '{perm.value}'")

    def may_use_agent(self, agent_id: str, slug: str | None = None) -> bool:
        if self.allowed_agents is None:
            return True
        return agent_id in self.allowed_agents or (slug is not None and slug in self.allowed_agents)


def system_principal(tenant_id: uuid.UUID, label: str = "system", actor_type: ActorType = "system") -> Principal:
    """For the CLI and background jobs acting on a tenant's behalf (audited as such).

    Whoever can run the CLI on the server already owns the platform, hence superadmin.
    """
    return Principal(
        tenant_id=tenant_id, role="owner", actor_type=actor_type, actor_id=label, label=label, is_superadmin=True
    )
