"""The Reflex app: console pages plus the FastAPI app mounted on the same port."""

from __future__ import annotations

import reflex as rx

from va_app.api.app import build_api, with_request_context
from va_app.console import pages  # noqa: F401  (registers the console pages)
from va_app.runtime import lifespan, wire_domain

wire_domain()  # pure: plugs the domain's extension points together (no I/O before the fork)
api = build_api()

app = rx.App(api_transformer=[api, with_request_context])  # the theme is set in rxconfig.py
app.register_lifespan_task(lifespan)
