"""Wire schemas of ``/users``: the members of the caller's tenant and their roles."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Strict, TenantRole
from va_app.domain.identity.users import Member


class MemberInvite(Strict):
    email: str = Field(min_length=3, max_length=320)
    role: TenantRole
    full_name: str = Field(default="", max_length=200)


class MemberUpdate(Strict):
    role: TenantRole


@dataclass(frozen=True)
class MemberPublic(Member):
    pass


@dataclass(frozen=True)
class MemberInvited(MemberPublic):
    temporary_password: Annotated[str | None, Field(description="Set when a new user was created; shown once.")]


class MembersPublic(Listing[MemberPublic]):
    pass
