"""LLM routing: models and prices, raw queries, cost what-ifs, breaker health, provider keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict

import orjson
from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.llm import (
    HealthPublic,
    ModelPublic,
    ModelsPublic,
    OptimizeRequest,
    OptimizeResponse,
    ProviderPublic,
    ProviderPut,
    ProvidersPublic,
    QueryRequest,
    QueryResponse,
    Usage,
)
from va_app.domain.llm import service, tenant_config
from va_app.domain.llm.contracts import LLMResult, StreamChunk
from va_app.domain.llm.optimize import optimize
from va_app.domain.llm.router import get_router

router = APIRouter(prefix="/llm", tags=["llm"])


def _public(result: LLMResult) -> QueryResponse:
    return QueryResponse(
        text=result.text,
        model=result.model,
        provider=result.provider,
        usage=Usage(
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            total_tokens=result.prompt_tokens + result.completion_tokens,
        ),
        cost_usd=result.cost_usd,
        latency_ms=result.latency_ms,
        attempts=result.attempts,
        fallback_from=result.fallback_from,
        finish_reason=result.finish_reason,
        extra=result.extra,
    )


@router.get("/models", response_model=ModelsPublic, summary="Models this tenant can use, with prices")
async def list_models(principal: PrincipalDep) -> ModelsPublic:
    views = await service.list_models(principal)
    return ModelsPublic(data=[ModelPublic(**asdict(v)) for v in views], count=len(views))


def _event(chunk: StreamChunk) -> bytes:
    if chunk.result is not None:
        return b"data: " + orjson.dumps({"done": True, **_public(chunk.result).model_dump()}) + b"\n\n"
    return b"data: " + orjson.dumps({"delta": chunk.delta}) + b"\n\n"


async def _sse(first: StreamChunk, rest: AsyncIterator[StreamChunk]) -> AsyncIterator[bytes]:
    yield _event(first)
    async for chunk in rest:
        yield _event(chunk)


@router.post(
    "/query",
    response_model=QueryResponse,
    summary="Route one raw query (messages or prompt) through the router",
    description="With `stream: true` the answer is server-sent events: `{delta}` chunks, then one `{done: true, ...}`.",
)
async def query(body: QueryRequest, principal: PrincipalDep) -> Response | QueryResponse:
    request = service.build_request(
        principal,
        messages=body.chat(),
        model=body.model,
        quality_tier=body.quality_tier,
        routing=body.routing,
        allowed_models=body.allowed_models,
        weights=body.weights,
        max_output_tokens=body.max_output_tokens,
        temperature=body.temperature,
        knowledge=body.knowledge,
        agent_id=body.agent_id,
        end_user_id=body.end_user_id,
        stream=body.stream,
    )
    if body.stream:
        chunks = service.query_stream(request)
        first = await anext(chunks)  # budget and model errors become HTTP errors before any byte is sent
        return StreamingResponse(_sse(first, chunks), media_type="text/event-stream")
    return _public(await service.query(request))


@router.post(
    "/optimize",
    response_model=OptimizeResponse,
    summary="What the last N days of traffic would have cost under each routing policy",
)
async def optimize_costs(body: OptimizeRequest, principal: PrincipalDep) -> OptimizeResponse:
    report = await optimize(
        principal, get_router(), days=body.days, quality_tier=body.quality_tier, weights=body.weights
    )
    return OptimizeResponse(**asdict(report))


@router.get("/health", response_model=HealthPublic, summary="Circuit breaker state and latency per model")
async def health(principal: PrincipalDep) -> HealthPublic:
    return HealthPublic(data=await service.health(principal))


@router.get("/providers", response_model=ProvidersPublic, summary="Stored provider credentials (never the keys)")
async def list_providers(principal: PrincipalDep) -> ProvidersPublic:
    views = await tenant_config.list_providers(principal)
    return ProvidersPublic(data=[ProviderPublic(**asdict(v)) for v in views], count=len(views))


@router.put(
    "/providers/{provider}",
    response_model=ProviderPublic,
    summary="Store this tenant's key/base URL for a provider, and its model overrides or custom models",
)
async def put_provider(provider: str, body: ProviderPut, principal: PrincipalDep) -> ProviderPublic:
    view = await tenant_config.put_provider(
        principal,
        provider,
        api_key=body.api_key,
        base_url=body.base_url,
        wire=body.wire,
        models=[m.model_dump() for m in body.models] if body.models is not None else None,
    )
    return ProviderPublic(**asdict(view))


@router.delete("/providers/{provider}", status_code=204, summary="Forget a provider's credentials and models")
async def delete_provider(provider: str, principal: PrincipalDep) -> Response:
    await tenant_config.delete_provider(principal, provider)
    return Response(status_code=204)
