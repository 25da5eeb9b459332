"""Event ingestion: ``POST /api/v1/analytics/events``."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from core.events import MAX_BATCH
from va_app.api.deps import PrincipalDep
from va_app.api.schemas.events import EXAMPLE, IngestAccepted, RejectionPublic
from va_app.domain.errors import InvalidInput
from va_app.domain.ingestion.service import ingest_events, normalise_body

router = APIRouter(prefix="/analytics", tags=["analytics"])
MAX_BODY_BYTES = 16 * 1024 * 1024


@router.post(
    "/events",
    status_code=202,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}, "example": EXAMPLE}}}
    },
    response_model=IngestAccepted,
    summary=f"Ingest one event, a list, or {{'events': [...]}} (at most {MAX_BATCH} per request)",
    description=(
        "Each event is validated on its own: valid ones are published to the bus and acknowledged "
        "here; invalid ones are listed in `errors` with their index and reason and stored as dead "
        "letters. The tenant is the caller's. An event is identified by its `event_id`; without one, "
        "by a hash of its content (the `ts` the server stamps is not part of it), so retries count "
        "once either way. `payload.agent_id` takes the agent's id or slug (stored as the id); an "
        "unknown slug is rejected with the reason."
    ),
)
async def post_events(
    request: Request,
    principal: PrincipalDep,
) -> JSONResponse:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise InvalidInput(f"request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from exc
    result = await ingest_events(principal, normalise_body(body))
    payload = IngestAccepted(
        accepted=result.accepted,
        rejected=result.rejected,
        event_ids=result.event_ids,
        errors=[RejectionPublic(index=e.index, reason=e.reason) for e in result.errors],
    )
    return JSONResponse(payload.model_dump(), status_code=202)
