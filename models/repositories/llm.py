"""Provider credentials and model overrides/custom models. Every function is tenant-scoped."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.llm import LLMModel, ProviderCredential
from models.repositories import affected_rows


async def list_credentials(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[ProviderCredential]:
    stmt = select(ProviderCredential).where(ProviderCredential.tenant_id == tenant_id)
    return list((await session.execute(stmt.order_by(ProviderCredential.provider))).scalars())


async def get_credential(*, session: AsyncSession, tenant_id: uuid.UUID, provider: str) -> ProviderCredential | None:
    stmt = select(ProviderCredential).where(
        ProviderCredential.tenant_id == tenant_id, ProviderCredential.provider == provider
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def upsert_credential(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    provider: str,
    wire: str,
    api_key_enc: str | None,
    base_url: str | None,
) -> None:
    stmt = insert(ProviderCredential).values(
        id=uuid.uuid4(), tenant_id=tenant_id, provider=provider, wire=wire, api_key_enc=api_key_enc, base_url=base_url
    )
    stmt = stmt.on_conflict_do_update(
        constraint="uq_provider_credentials_tenant_provider",
        set_={"wire": wire, "api_key_enc": api_key_enc, "base_url": base_url, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


async def delete_credential(*, session: AsyncSession, tenant_id: uuid.UUID, provider: str) -> int:
    result = await session.execute(
        delete(ProviderCredential).where(
            ProviderCredential.tenant_id == tenant_id, ProviderCredential.provider == provider
        )
    )
    return affected_rows(result)


async def list_models(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[LLMModel]:
    stmt = select(LLMModel).where(LLMModel.tenant_id == tenant_id).order_by(LLMModel.name)
    return list((await session.execute(stmt)).scalars())


async def replace_models(
    *, session: AsyncSession, tenant_id: uuid.UUID, provider: str, rows: Sequence[dict[str, Any]]
) -> None:
    """The given rows become this provider's overrides/custom models (others of it are removed)."""
    await session.execute(delete(LLMModel).where(LLMModel.tenant_id == tenant_id, LLMModel.provider == provider))
    names = [r["name"] for r in rows]
    if names:  # a name moves to this provider when it was defined under another one
        await session.execute(delete(LLMModel).where(LLMModel.tenant_id == tenant_id, LLMModel.name.in_(names)))
    for row in rows:
        session.add(LLMModel(tenant_id=tenant_id, provider=provider, **row))
    await session.flush()
