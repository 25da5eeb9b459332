"""Liveness, readiness and Prometheus metrics (outside ``/api/v1``, for load balancers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.metrics import REGISTRY
from va_app.domain.status import draining
from va_app.domain.status.backends import check_backends

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Every backend is reachable and the process is not draining",
    responses={503: {"description": "a backend is down, or the process is draining"}},
)
async def readyz() -> JSONResponse:
    if draining.is_draining():
        # Shutting down: the load balancer must stop routing here; backends are not probed.
        return JSONResponse({"status": "draining", "draining_for_s": draining.draining_for_s()}, status_code=503)
    status = await check_backends()
    return JSONResponse(status.as_dict(), status_code=200 if status.ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
