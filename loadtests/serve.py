"""The API as a real production server for load and multi-process tests.

``python -m loadtests.serve --port P`` serves ``with_request_context(build_api())`` with uvicorn
(one worker) on 127.0.0.1. With the lifespan (the default) the process does what a web worker
does at start (``va_app.runtime``): schema, background loops and, unless
``INGEST__EMBEDDED_WORKER=false``, the embedded ingest worker that owns chDB. ``--no-lifespan``
serves the API only: enough for the event ingest path (PostgreSQL, Redis and the bus), which
is how several web processes can share one machine without fighting over a chDB directory.
Why not ``va run``: it builds the Reflex frontend (minutes on first run) and the console is
not what these tests load.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


def build_app(with_lifespan: bool = True) -> Any:
    from va_app.api.app import build_api, with_request_context

    api = build_api()
    if with_lifespan:
        from va_app.runtime import lifespan

        @asynccontextmanager
        async def _lifespan(_app: Any) -> AsyncIterator[None]:
            async with lifespan():
                yield

        api.router.lifespan_context = _lifespan
    return with_request_context(api)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-lifespan", action="store_true", help="serve the API only (no worker start-up)")
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(
        build_app(not args.no_lifespan),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off" if args.no_lifespan else "on",
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
