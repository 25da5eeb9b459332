"""Extension points between capabilities: how one package calls another without importing it.

A capability that must reach out (alerts notify, reports deliver, a rollback invalidates the
conversation caches, the agent health check runs a chat turn, a cross-tenant clone copies
knowledge) declares a :class:`Hooks` (any number of callables) or a :class:`Slot` (at most
one) in its own module. :mod:`va_app.runtime` plugs the implementations in, in one place.
This keeps the dependency graph between domain packages acyclic (checked by import-linter)
while the wiring stays explicit and greppable.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class Hooks(Generic[F]):
    """Callables (sync or async) run in registration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fns: list[F] = []

    def register(self, fn: F) -> Callable[[], None]:
        """Add ``fn`` (once); returns a function that removes it again."""
        if fn not in self._fns:
            self._fns.append(fn)

        def unregister() -> None:
            if fn in self._fns:
                self._fns.remove(fn)

        return unregister

    def __bool__(self) -> bool:
        return bool(self._fns)

    def __len__(self) -> int:
        return len(self._fns)

    async def call_all(self, *args: Any) -> None:
        """Run every callable; the first failure propagates (the caller decides what it means)."""
        for fn in list(self._fns):
            await _resolve(fn(*args))

    async def notify_all(self, *args: Any, extra: dict[str, Any] | None = None) -> None:
        """Run every callable; a failing one is logged and does not stop the others."""
        for fn in list(self._fns):
            try:
                await _resolve(fn(*args))
            except Exception:  # one broken receiver must not silence the others
                log.exception("%s failed", self.name, extra=extra or {})


class Slot(Generic[F]):
    """One optional implementation, e.g. a probe that another capability provides."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fn: F | None = None

    def set(self, fn: F | None) -> None:
        self._fn = fn

    def get(self) -> F | None:
        return self._fn


async def _resolve(result: Awaitable[Any] | Any) -> Any:
    return await result if inspect.isawaitable(result) else result
