"""The one page decorator of the console: layout plus registration.

``@template(route=..., title=...)`` wraps a page function in the shell (sidebar + header)
and registers it with ``rx.page``, so every page gets the same frame, title suffix and meta
without repeating them, and a page module holds only its own content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from va_app.components.layout import shell

PRODUCT = "VirtualAgent"
DEFAULT_META = [{"name": "viewport", "content": "width=device-width, initial-scale=1"}]

PageFn = Callable[[], rx.Component]


def template(
    route: str,
    title: str,
    description: str | None = None,
    on_load: Any = None,
) -> Callable[[PageFn], PageFn]:
    """Register ``page_content`` at ``route`` inside the console shell.

    Args:
        route: The route string, taken from ``va_app.routes``.
        title: Shown in the header and, with the product name, as the document title.
        description: Meta description of the page.
        on_load: Event handler(s) to run when the page loads (e.g. a state's refresh loop).
    """

    def decorator(page_content: PageFn) -> PageFn:
        def page() -> rx.Component:
            return shell(title, page_content())

        page.__name__ = page_content.__name__
        page.__doc__ = page_content.__doc__
        rx.page(
            route=route,
            title=f"{title} · {PRODUCT}",
            description=description,
            meta=DEFAULT_META,
            on_load=on_load,
        )(page)
        return page

    return decorator
