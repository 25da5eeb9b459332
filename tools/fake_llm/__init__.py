"""A fake LLM provider server for tests and benchmarks. Never used unless configured.

Speaks OpenAI ``POST /v1/chat/completions`` and Anthropic ``POST /v1/messages`` (both with
streaming) and misbehaves on request: global latency, error and 429 rates, a context window,
plus per-model behaviour chosen by words in the model name:

* ``always-500`` / ``always-429``: every call fails that way;
* ``flaky-N``: the first N calls to that model fail with 503, then it answers;
* ``tiny-ctx``: a 64-token context window (larger prompts get the provider's context error);
* ``refuse``: a content-policy refusal (also any message containing ``[[refuse]]``);
* ``slow-N``: N ms of extra latency.

``FakeConfig.replies`` scripts answers: a last user message containing a key gets its value.

``POST /_admin/config`` changes the settings and resets the counters; ``GET /_admin/stats``
counts requests per model. Run: ``python -m tools.fake_llm --port 8599 --latency-ms 0``.
"""

from tools.fake_llm.runner import FakeLLMServer
from tools.fake_llm.server import FakeConfig, build_app

__all__ = ["FakeConfig", "FakeLLMServer", "build_app"]
