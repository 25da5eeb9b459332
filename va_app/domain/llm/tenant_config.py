"""A tenant's LLM configuration: stored provider credentials and model overrides/custom models.

Keys are encrypted with ``va_app.domain.identity.secrets.encrypt`` and never leave this module in
clear except inside a :class:`~va_app.domain.llm.catalog.ProviderCredential` handed to a provider.
The router reads the configuration on every call, so it is cached per process for
``LLM__TENANT_CONFIG_TTL_S`` seconds (writes through this module invalidate this process's
copy at once; other processes see the change within the TTL).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, get_args

from core import db
from core.config import get_settings
from models.repositories import llm as repo
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.identity.secrets import decrypt, encrypt
from va_app.domain.llm.catalog import (
    LOCAL,
    ExternalWire,
    ModelSpec,
    ProviderCredential,
    TenantLLMConfig,
    Wire,
    builtin_models,
    is_wire,
    normalize_tier,
    wire_for,
)

_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_cache: dict[uuid.UUID, tuple[float, TenantLLMConfig]] = {}


@dataclass(frozen=True)
class ProviderView:
    """What the API shows about stored credentials: never the key itself."""

    provider: str
    wire: str
    base_url: str | None
    has_api_key: bool
    models: list[str]


def invalidate(tenant_id: uuid.UUID | None = None) -> None:
    if tenant_id is None:
        _cache.clear()
    else:
        _cache.pop(tenant_id, None)


async def load(tenant_id: uuid.UUID) -> TenantLLMConfig:
    """The tenant's configuration, from this process's cache when fresh."""
    hit = _cache.get(tenant_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < get_settings().llm.tenant_config_ttl_s:
        return hit[1]
    async with db.session_scope() as session:
        creds = await repo.list_credentials(session=session, tenant_id=tenant_id)
        rows = await repo.list_models(session=session, tenant_id=tenant_id)
    config = TenantLLMConfig(
        credentials={
            c.provider: ProviderCredential(
                provider=c.provider,
                wire=c.wire if is_wire(c.wire) else wire_for(c.provider),  # rows were checked on write
                api_key=decrypt(c.api_key_enc) if c.api_key_enc else None,
                base_url=c.base_url,
                tenant_owned=True,
            )
            for c in creds
        },
        models=tuple(
            ModelSpec(
                name=r.name,
                provider=r.provider,
                upstream=r.upstream,
                context_window=r.context_window,
                max_output_tokens=r.max_output_tokens,
                input_per_1k=r.input_per_1k,
                output_per_1k=r.output_per_1k,
                tier=normalize_tier(r.tier) if r.tier else None,
                capabilities=tuple(r.capabilities) if r.capabilities else None,
                enabled=r.enabled,
            )
            for r in rows
        ),
    )
    _cache[tenant_id] = (now, config)
    return config


def _check_provider(provider: str, wire: str | None, base_url: str | None) -> Wire:
    if not _PROVIDER_NAME.match(provider):
        raise InvalidInput("provider must be 1-64 lowercase letters, digits, '.', '_' or '-'")
    if provider == LOCAL:
        raise InvalidInput("the built-in 'local' provider needs no credentials")
    # A base URL without a named wire means a self-hosted OpenAI-compatible server (vLLM, Ollama);
    # a bare provider name (gemini, mistral, bedrock ...) goes through litellm.
    default = wire_for(provider) if provider in ("openai", "anthropic") else ("openai" if base_url else "litellm")
    resolved = wire or default
    if not is_wire(resolved) or resolved == "local":
        raise InvalidInput("wire must be one of " + ", ".join(f"'{w}'" for w in get_args(ExternalWire)))
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise InvalidInput("base_url must start with http:// or https://")
    if provider != "openai" and resolved == "openai" and not base_url:
        raise InvalidInput(f"a custom OpenAI-compatible provider '{provider}' needs a base_url")
    return resolved


def _model_row(spec: dict[str, Any]) -> dict[str, Any]:
    name = str(spec.get("name") or "").strip()
    if not name:
        raise InvalidInput("every model needs a name")
    if name == LOCAL:
        raise InvalidInput("the built-in 'local' model cannot be redefined")
    tier = spec.get("tier")
    try:
        tier = normalize_tier(tier) if tier else None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return {
        "name": name,
        "upstream": spec.get("upstream"),
        "context_window": spec.get("context_window"),
        "max_output_tokens": spec.get("max_output_tokens"),
        "input_per_1k": spec.get("input_per_1k"),
        "output_per_1k": spec.get("output_per_1k"),
        "tier": tier,
        "capabilities": spec.get("capabilities"),
        "enabled": bool(spec.get("enabled", True)),
        "details": {},
    }


async def put_provider(
    principal: Principal,
    provider: str,
    *,
    api_key: str | None,
    base_url: str | None,
    wire: str | None,
    models: list[dict[str, Any]] | None,
) -> ProviderView:
    """Store (replace) the tenant's credentials for one provider and, if given, its models."""
    principal.require(Perm.LLM_MODELS_RAW)
    resolved = _check_provider(provider, wire, base_url)
    rows = [_model_row(m) for m in models] if models is not None else None
    if rows is not None:
        builtin = builtin_models()
        for row in rows:
            if row["name"] in builtin and builtin[row["name"]].provider != provider:
                raise InvalidInput(f"'{row['name']}' is a built-in {builtin[row['name']].provider} model")
    async with db.session_scope() as session:
        existing = await repo.get_credential(session=session, tenant_id=principal.tenant_id, provider=provider)
        key_enc = encrypt(api_key) if api_key else (existing.api_key_enc if existing else None)
        await repo.upsert_credential(
            session=session,
            tenant_id=principal.tenant_id,
            provider=provider,
            wire=resolved,
            api_key_enc=key_enc,
            base_url=base_url,
        )
        if rows is not None:
            await repo.replace_models(session=session, tenant_id=principal.tenant_id, provider=provider, rows=rows)
        names = [m.name for m in await repo.list_models(session=session, tenant_id=principal.tenant_id)]
        await audit(
            session,
            principal,
            "llm.provider.put",
            "llm_provider",
            provider,
            after={"wire": resolved, "base_url": base_url, "key_stored": bool(key_enc), "models": names},
        )
    invalidate(principal.tenant_id)
    return ProviderView(provider, resolved, base_url, bool(key_enc), names)


async def list_providers(principal: Principal) -> list[ProviderView]:
    principal.require(Perm.LLM_QUERY)
    async with db.session_scope() as session:
        creds = await repo.list_credentials(session=session, tenant_id=principal.tenant_id)
        rows = await repo.list_models(session=session, tenant_id=principal.tenant_id)
    return [
        ProviderView(
            c.provider, c.wire, c.base_url, bool(c.api_key_enc), [r.name for r in rows if r.provider == c.provider]
        )
        for c in creds
    ]


async def delete_provider(principal: Principal, provider: str) -> None:
    """Forget the tenant's credentials and models for one provider (404 when none are stored)."""
    principal.require(Perm.LLM_MODELS_RAW)
    async with db.session_scope() as session:
        removed = await repo.delete_credential(session=session, tenant_id=principal.tenant_id, provider=provider)
        if not removed:
            raise NotFound(f"no stored credentials for provider '{provider}'")
        await repo.replace_models(session=session, tenant_id=principal.tenant_id, provider=provider, rows=[])
        await audit(session, principal, "llm.provider.delete", "llm_provider", provider)
    invalidate(principal.tenant_id)
