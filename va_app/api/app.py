"""Build the FastAPI app that Reflex mounts (``rx.App(api_transformer=...)``).

``build_api()`` returns the FastAPI app; ``asgi_transformers()`` adds the request-context
middleware *outside* it so even a 500 produced by Starlette's error middleware carries an
``X-Request-ID``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from va_app.api.errors import error_body, install_error_handlers
from va_app.api.idempotency import IdempotencyMiddleware
from va_app.api.middleware import RequestContextMiddleware
from va_app.api.routes import (
    agent_rollouts,
    agents,
    analytics,
    api_keys,
    audit_logs,
    auth,
    budgets,
    conversations_explorer,
    events,
    health,
    knowledge,
    llm,
    members,
    pipeline,
    platform,
    reports,
)
from va_app.api.routes import alerts as alerts_routes
from va_app.api.routes import chat as chat_routes
from va_app.api.routes import integrations as integrations_routes
from va_app.api.routes import openai_compat as openai_routes
from va_app.api.routes import webhooks as webhooks_routes
from va_app.api.routes import widget as widget_routes

API_PREFIX = "/api/v1"


def _v1_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(platform.router)
    # One router per resource; add new ones on their own line.
    for module in (
        auth,
        api_keys,
        members,
        audit_logs,
        events,
        analytics,
        pipeline,
        agents,
        agent_rollouts,
        knowledge,
        chat_routes,
        llm,
        budgets,
        openai_routes,
        alerts_routes,
        integrations_routes,
        webhooks_routes,
        widget_routes,
        conversations_explorer,
        reports,
    ):
        router.include_router(module.router)
    return router


def build_api() -> FastAPI:
    app = FastAPI(
        title="VirtualAgent API",
        version="1",
        description="Agents, deployments, chat, LLM routing, analytics and integrations for many tenants.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=f"{API_PREFIX}/redoc",
    )
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.include_router(health.router)
    app.include_router(_v1_router())

    @app.api_route(
        f"{API_PREFIX}/{{path:path}}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def unknown_api_route(path: str) -> None:
        """Unknown API paths answer JSON 404 instead of falling through to the console."""
        from fastapi.responses import JSONResponse

        return JSONResponse(  # type: ignore[return-value]
            error_body("not_found", f"no API route {API_PREFIX}/{path}"), status_code=404
        )

    return app


def with_request_context(app: ASGIApp) -> ASGIApp:
    return RequestContextMiddleware(app)
