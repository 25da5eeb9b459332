"""Wire schemas of the OpenAI-compatible routes (the subset of OpenAI's shapes we serve).

Unknown OpenAI parameters are ignored (``top_p``, ``seed``, …) so existing clients work
unchanged; ``n`` > 1, tools and non-text content parts are refused with a 400 rather than
silently dropped.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from va_app.domain.errors import InvalidInput
from va_app.domain.llm.contracts import ChatMessage


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, max_length=200, description="an agent slug or id, or a raw catalog model")
    messages: list[Message] = Field(min_length=1, max_length=500)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=200)
    max_tokens: int | None = Field(default=None, ge=1, le=100_000)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=100_000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    n: int = Field(default=1, ge=1, le=1, description="only 1 is supported")
    tools: list[dict[str, Any]] | None = None
    metadata: dict[str, str] | None = None

    def chat_messages(self) -> tuple[ChatMessage, ...]:
        if self.tools:
            raise InvalidInput("tools are not supported by this endpoint")
        out: list[ChatMessage] = []
        for i, m in enumerate(self.messages):
            if m.role == "tool":
                raise InvalidInput(f"messages.{i}: tool messages are not supported")
            if isinstance(m.content, list):
                if any(p.type != "text" for p in m.content):
                    raise InvalidInput(f"messages.{i}: only text content parts are supported")
                text = "".join(p.text or "" for p in m.content)
            else:
                text = m.content or ""
            out.append(ChatMessage("system" if m.role == "developer" else m.role, text))  # type: ignore[arg-type]
        return tuple(out)


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def completion(
    cid: str, model: str, reply: str, finish: str, prompt: int, completion_tokens: int, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply, "refusal": None},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": usage(prompt, completion_tokens),
        "system_fingerprint": None,
        "virtualagent": extra,
    }


def chunk(cid: str, model: str, created: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def usage_chunk(cid: str, model: str, created: int, prompt: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage(prompt, completion_tokens),
    }


def model_list(models: list[tuple[str, str]]) -> dict[str, Any]:
    created = int(time.time())
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": created, "owned_by": owner} for m, owner in models],
    }


def finish_reason(value: str) -> str:
    return value if value in ("stop", "length", "content_filter", "tool_calls") else "stop"
