"""Reflex configuration. Values come from core.config so the console and the API agree."""

import os
from pathlib import Path

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

_ROOT = Path(__file__).resolve().parent
_BUN = _ROOT / ".tools" / "node_modules" / "bun" / "bin" / "bun.exe"
_PORT = int(os.environ.get("PORT", "3000"))

config = rx.Config(
    app_name="va_app",
    telemetry_enabled=False,
    frontend_port=_PORT,
    backend_port=_PORT,
    api_url=os.environ.get("VA_PUBLIC_URL", f"http://localhost:{_PORT}"),
    deploy_url=os.environ.get("VA_PUBLIC_URL", f"http://localhost:{_PORT}"),
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="light", accent_color="indigo", radius="medium"))],
    **({"bun_path": _BUN} if _BUN.exists() else {}),
)
