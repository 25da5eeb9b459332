"""``python -m tools.fake_llm --port 8599 --latency-ms 0 --error-rate 0``"""

from __future__ import annotations

import argparse

import uvicorn

from tools.fake_llm.server import FakeConfig, build_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI/Anthropic provider for tests and benchmarks")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of calls answered with HTTP 500")
    parser.add_argument("--rate-limit-rate", type=float, default=0.0, help="share of calls answered with HTTP 429")
    parser.add_argument("--context-window", type=int, default=1_000_000)
    parser.add_argument("--prompt-tokens", type=int, default=None, help="report this many prompt tokens")
    parser.add_argument("--completion-tokens", type=int, default=None, help="answer with this many tokens")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    config = FakeConfig(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        context_window=args.context_window,
        prompt_tokens=args.prompt_tokens,
        completion_tokens=args.completion_tokens,
        seed=args.seed,
    )
    uvicorn.run(build_app(config), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
