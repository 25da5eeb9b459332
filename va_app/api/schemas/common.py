"""What every resource's wire schemas share: the strict request base and the list envelopes.

Each resource has its own module here (``api_keys``, ``alerts``, ``webhooks``…). A response
that shows a domain view is that view: ``class AlertPublic(AlertView)`` as a pydantic
dataclass, so the fields are declared once, in the domain, and the API only adds what the
wire documents further (a description, a narrower literal). ORM objects never cross the wire.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")
TenantRole = Literal["owner", "admin", "developer", "analyst", "viewer"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Listing(BaseModel, Generic[T]):
    data: list[T]
    count: int


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int
    next_cursor: str | None
