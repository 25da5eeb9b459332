"""The web chat widget: the embeddable script and its public, origin-restricted endpoint.

Embed: ``<script src="https://<host>/api/v1/widget.js" data-key="vaw_..."></script>``.
"""

from __future__ import annotations

from fastapi import APIRouter, Header, Request, Response

from va_app.api.schemas.widget import WidgetMessage, WidgetReplyPublic
from va_app.domain.errors import RateLimited
from va_app.domain.integrations import widget

router = APIRouter(tags=["widget"])


def _cors(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, X-Widget-Key",
        "Vary": "Origin",
    }


@router.get("/widget.js", summary="The embeddable chat widget script", response_class=Response)
async def widget_script() -> Response:
    return Response(widget.SCRIPT, media_type="application/javascript", headers={"Cache-Control": "max-age=300"})


@router.options("/widget/messages", include_in_schema=False)
async def widget_preflight(request: Request) -> Response:
    return Response(status_code=204, headers=_cors(request.headers.get("origin", "")))


@router.post("/widget/messages", response_model=WidgetReplyPublic, summary="A widget message (widget key + Origin)")
async def widget_message(
    body: WidgetMessage,
    response: Response,
    origin: str = Header(default=""),
    x_widget_key: str = Header(default=""),
) -> WidgetReplyPublic:
    try:
        out = await widget.message(x_widget_key, origin, body.message, body.session_id)
    except RateLimited as exc:  # the origin passed the check: let the page read the 429 and Retry-After
        exc.headers.update(_cors(origin))
        raise
    response.headers.update(_cors(origin))
    return WidgetReplyPublic(reply=out.reply, conversation_id=out.conversation_id)
