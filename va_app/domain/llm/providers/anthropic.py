"""Anthropic's messages API wire format (incl. streaming events) over our pooled client.

Differences from OpenAI handled here: system prompts travel in a separate ``system`` field,
the conversation must alternate user/assistant starting with a user turn, ``max_tokens`` is
required, and a refusal arrives as ``stop_reason: "refusal"`` on an HTTP 200.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from va_app.domain.llm.contracts import ChatMessage
from va_app.domain.llm.errors import ContentPolicyError, ProviderError
from va_app.domain.llm.providers.base import ProviderCall, ProviderResponse, StreamEvent
from va_app.domain.llm.providers.http import client, error_for, transport_error
from va_app.domain.llm.tokens import estimate_messages, estimate_text

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


def to_anthropic(messages: tuple[ChatMessage, ...]) -> tuple[str, list[dict[str, str]]]:
    """Split out the system prompt and merge consecutive turns of one role."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns: list[dict[str, str]] = []
    for m in messages:
        if m.role == "system":
            continue
        if turns and turns[-1]["role"] == m.role:
            turns[-1]["content"] += "\n\n" + m.content
        else:
            turns.append({"role": m.role, "content": m.content})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": "(conversation start)"})
    return system, turns


def _request(call: ProviderCall, stream: bool) -> tuple[str, dict[str, str], bytes]:
    cred = call.deployment.credential
    url = (cred.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages"
    headers = {"content-type": "application/json", "anthropic-version": API_VERSION}
    if cred.api_key:
        headers["x-api-key"] = cred.api_key
    system, turns = to_anthropic(call.messages)
    body: dict[str, Any] = {
        "model": call.deployment.model.upstream,
        "messages": turns,
        "max_tokens": call.max_tokens,
        "temperature": call.temperature,
    }
    if system:
        body["system"] = system
    if stream:
        body["stream"] = True
    return url, headers, orjson.dumps(body)


class AnthropicProvider:
    async def complete(self, call: ProviderCall) -> ProviderResponse:
        url, headers, body = _request(call, stream=False)
        try:
            response = await client().post(url, content=body, headers=headers, timeout=call.timeout_s)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        if response.status_code >= 400:
            raise error_for(response.status_code, response.text, response)
        data = orjson.loads(response.content)
        if data.get("stop_reason") == "refusal":
            raise ContentPolicyError("refused by the provider (stop_reason=refusal)")
        text = "".join(b.get("text", "") for b in data.get("content") or () if b.get("type") == "text")
        usage = data.get("usage") or {}
        return ProviderResponse(
            text=text,
            prompt_tokens=int(usage.get("input_tokens") or estimate_messages(call.messages)),
            completion_tokens=int(usage.get("output_tokens") or estimate_text(text)),
            finish_reason=_FINISH.get(data.get("stop_reason") or "end_turn", "stop"),
        )

    async def stream(self, call: ProviderCall) -> AsyncIterator[StreamEvent]:
        url, headers, body = _request(call, stream=True)
        parts: list[str] = []
        prompt_tokens = completion_tokens = 0
        stop_reason = "end_turn"
        try:
            async with client().stream("POST", url, content=body, headers=headers, timeout=call.timeout_s) as resp:
                if resp.status_code >= 400:
                    raise error_for(resp.status_code, (await resp.aread()).decode(errors="replace"), resp)
                async for line in resp.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    event = orjson.loads(line[5:].strip())
                    kind = event.get("type")
                    if kind == "message_start":
                        usage = (event.get("message") or {}).get("usage") or {}
                        prompt_tokens = int(usage.get("input_tokens") or 0)
                    elif kind == "content_block_delta":
                        text = (event.get("delta") or {}).get("text") or ""
                        if text:
                            parts.append(text)
                            yield StreamEvent(delta=text)
                    elif kind == "message_delta":
                        stop_reason = (event.get("delta") or {}).get("stop_reason") or stop_reason
                        completion_tokens = int((event.get("usage") or {}).get("output_tokens") or completion_tokens)
                        if stop_reason == "refusal":
                            raise ContentPolicyError("refused by the provider (stop_reason=refusal)")
                    elif kind == "error":
                        err = event.get("error") or {}
                        status = 529 if err.get("type") == "overloaded_error" else 500
                        raise error_for(status, orjson.dumps(err).decode())
                    elif kind == "message_stop":
                        break
        except ProviderError:
            raise
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        text = "".join(parts)
        yield StreamEvent(
            final=ProviderResponse(
                text=text,
                prompt_tokens=prompt_tokens or estimate_messages(call.messages),
                completion_tokens=completion_tokens or estimate_text(text),
                finish_reason=_FINISH.get(stop_reason, "stop"),
            )
        )
