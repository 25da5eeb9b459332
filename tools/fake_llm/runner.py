"""Run the fake server in a background thread (tests) or as a process (``__main__``)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from tools.fake_llm.server import FakeConfig, build_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeLLMServer:
    """``with FakeLLMServer() as fake: fake.openai_base_url ...`` on a free local port."""

    def __init__(self, config: FakeConfig | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.app = build_app(config)
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(target=self._server.run, name="fake-llm", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
