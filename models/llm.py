"""Per-tenant LLM configuration: provider credentials (encrypted) and model overrides/custom models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantScoped, TimestampMixin
from models.tenancy import JSONType


class ProviderCredential(IdMixin, TenantScoped, TimestampMixin, Base):
    """A tenant's key and/or base URL for one provider; the key is stored Fernet-encrypted."""

    __tablename__ = "provider_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", name="uq_provider_credentials_tenant_provider"),)

    provider: Mapped[str] = mapped_column(String(64))
    wire: Mapped[str] = mapped_column(String(20))  # openai | anthropic | litellm
    api_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    base_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class LLMModel(IdMixin, TenantScoped, TimestampMixin, Base):
    """Overrides a built-in model of the same name, or defines a custom (self-hosted) one."""

    __tablename__ = "llm_models"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_llm_models_tenant_name"),)

    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)
    upstream: Mapped[str | None] = mapped_column(String(200), nullable=True)
    context_window: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    input_per_1k: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_per_1k: Mapped[float | None] = mapped_column(Float, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    capabilities: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
