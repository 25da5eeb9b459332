"""The one page decorator of the console: layout, sign-in check and registration.

``@template(route=..., title=...)`` wraps a page function in the shell (sidebar + header)
and registers it with ``rx.page``, so every page gets the same frame, title suffix and meta
without repeating them, and a page module holds only its own content. Pages require a
signed-in user unless they say ``requires_login=False`` (the login page): the check runs
first in ``on_load`` and sends a signed-out browser to ``/login``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from va_app.console.components.layout import shell
from va_app.console.states.auth import AuthState

PRODUCT = "VirtualAgent"
DEFAULT_META = [{"name": "viewport", "content": "width=device-width, initial-scale=1"}]

PageFn = Callable[[], rx.Component]


def _load_handlers(on_load: Any, requires_login: bool) -> Any:
    """The page's own ``on_load`` handlers, preceded by the sign-in check when required."""
    if not requires_login:
        return on_load
    own = [] if on_load is None else list(on_load) if isinstance(on_load, list | tuple) else [on_load]
    return [AuthState.check_login, *own]


def template(
    route: str,
    title: str,
    description: str | None = None,
    on_load: Any = None,
    requires_login: bool = True,
    framed: bool = True,
) -> Callable[[PageFn], PageFn]:
    """Register ``page_content`` at ``route`` inside the console shell.

    Args:
        route: The route string, taken from ``va_app.console.routes``.
        title: Shown in the header and, with the product name, as the document title.
        description: Meta description of the page.
        on_load: Event handler(s) to run when the page loads (e.g. a state's refresh loop).
        requires_login: Redirect to the login page unless a valid session exists.
        framed: Wrap the content in the sidebar and header (not for the login page).
    """

    def decorator(page_content: PageFn) -> PageFn:
        def page() -> rx.Component:
            return shell(title, page_content()) if framed else page_content()

        page.__name__ = page_content.__name__
        page.__doc__ = page_content.__doc__
        rx.page(
            route=route,
            title=f"{title} · {PRODUCT}",
            description=description,
            meta=DEFAULT_META,
            on_load=_load_handlers(on_load, requires_login),
        )(page)
        return page

    return decorator
