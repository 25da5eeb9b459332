"""Integrations: connect (credentials encrypted, never returned), list, sync status, disconnect,
run an action; plus the provider-signed inbound webhook endpoint.

``/integrations/webhook/{id}`` is authenticated by the provider's signature, not an API key:
missing signature 401, wrong signature 403, malformed 400, outside the replay window 409.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from va_app.api.deps import PrincipalDep
from va_app.api.errors import error_body
from va_app.api.schemas.integrations import (
    ActionRun,
    IntegrationConnect,
    IntegrationPublic,
    IntegrationsPublic,
    SyncStatusesPublic,
    SyncStatusPublic,
)
from va_app.domain.conversations.runtime import resolve_agent
from va_app.domain.integrations import inbound, service
from va_app.domain.integrations.catalog import all_types
from va_app.domain.integrations.registry import InboundRequest, WebhookRejected

router = APIRouter(prefix="/integrations", tags=["integrations"])


@router.get("/types", summary="Connector types: credential schema, capabilities, actions")
async def list_types(principal: PrincipalDep) -> dict[str, Any]:
    from va_app.domain.identity.permissions import Perm

    principal.require(Perm.INTEGRATIONS_READ)
    types = [t.describe() for t in all_types()]
    return {"data": types, "count": len(types)}


@router.post("/connect", status_code=201, response_model=IntegrationPublic, summary="Connect an integration")
async def connect(body: IntegrationConnect, principal: PrincipalDep) -> IntegrationPublic:
    view = await service.connect(principal, **body.model_dump())
    return IntegrationPublic(**asdict(view))


@router.get("", response_model=IntegrationsPublic, summary="Connected integrations (no credentials)")
async def list_integrations(principal: PrincipalDep) -> IntegrationsPublic:
    views = [IntegrationPublic(**asdict(v)) for v in await service.list_integrations(principal)]
    return IntegrationsPublic(data=views, count=len(views))


@router.get("/sync", response_model=SyncStatusesPublic, summary="Per integration: last sync, errors, backlog")
async def sync_status(principal: PrincipalDep) -> SyncStatusesPublic:
    rows = [SyncStatusPublic(**asdict(s)) for s in await service.sync_status(principal)]
    return SyncStatusesPublic(data=rows, count=len(rows))


@router.delete("/{integration_id}", status_code=204, summary="Disconnect (credentials are deleted)")
async def disconnect(integration_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await service.disconnect(principal, integration_id)
    return Response(status_code=204)


@router.post("/{integration_id}/actions/{action}", summary="Run an action (CRM/helpdesk/REST)")
async def run_action(integration_id: uuid.UUID, action: str, body: ActionRun, principal: PrincipalDep) -> Any:
    allowed = None
    if body.agent is not None:
        from va_app.domain.agents.resolver import version_data

        handle = await resolve_agent(principal, body.agent)
        info = await version_data(principal.tenant_id, uuid.UUID(handle.id), body.version or 1)
        allowed = info.allowed_actions
    return await service.run_action(principal, integration_id, action, body.params, allowed)


def _rejected(exc: WebhookRejected) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)


@router.post("/webhook/{integration_id}", summary="Inbound provider webhook (provider-signed, no API key)")
async def webhook(integration_id: uuid.UUID, request: Request) -> Any:
    req = InboundRequest(
        method="POST",
        url=str(request.url),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=await request.body(),
        query=dict(request.query_params),
    )
    try:
        accepted = await inbound.receive(integration_id, req)
    except WebhookRejected as exc:
        return _rejected(exc)
    if accepted.status == "challenge":
        return accepted.body
    return {"status": accepted.status, "enqueued": accepted.enqueued}


@router.get("/webhook/{integration_id}", summary="Provider subscription handshake (WhatsApp verify token)")
async def webhook_handshake(integration_id: uuid.UUID, request: Request) -> Response:
    try:
        return PlainTextResponse(await inbound.handshake(integration_id, dict(request.query_params)))
    except WebhookRejected as exc:
        return _rejected(exc)
