"""The embeddable web chat widget: a script the app serves, and the public endpoint it calls.

The widget key is public (it sits in the page); what restricts it is the ``Origin`` check
against the integration's ``allowed_origins`` plus a per-widget rate limit, the same model
as a publishable key. Browsers always send ``Origin`` on cross-site POSTs, so a page on
another site cannot borrow the key.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from core.channels import Channel
from va_app.domain.conversations.runtime import chat
from va_app.domain.conversations.turn import ChatInput
from va_app.domain.errors import NotAuthenticated, PermissionDenied, RateLimited
from va_app.domain.identity import ratelimit
from va_app.domain.identity.principal import system_principal
from va_app.domain.integrations.registry import Connection
from va_app.domain.integrations.service import load_connection, widget_key
from va_app.domain.integrations.worker import conversation_id

KEY_RE = re.compile(r"^vaw_([0-9a-f]{32})_([0-9a-f]{12})$")
PER_MINUTE = 120


@dataclass(frozen=True)
class WidgetReply:
    reply: str
    conversation_id: str


async def authorize(key: str, origin: str) -> Connection:
    match = KEY_RE.match(key or "")
    conn = await load_connection(uuid.UUID(match.group(1))) if match else None
    if conn is None or conn.kind != "web_widget" or widget_key(conn.id, conn.config) != key:
        raise NotAuthenticated("unknown widget key")
    if origin not in conn.config.get("allowed_origins", []):
        raise PermissionDenied("this origin may not use this widget")
    return conn


async def message(key: str, origin: str, text: str, session_id: str) -> WidgetReply:
    conn = await authorize(key, origin)
    decision = await ratelimit.check([ratelimit.Limit(f"widget:{conn.id}", PER_MINUTE)])
    if not decision.allowed:
        raise RateLimited("widget rate limit exceeded", retry_after_s=decision.retry_after_s)
    conv = conversation_id(conn, session_id)
    out = await chat(
        system_principal(conn.tenant_id, f"integration:{conn.id}"),
        str(conn.config["agent"]),
        ChatInput(message=text, conversation_id=conv, user_id=session_id[:200], channel=Channel.WEB),
    )
    return WidgetReply(out.reply, conv)


SCRIPT = r"""(function () {
  var s = document.currentScript, key = s.getAttribute("data-key"), base = new URL(s.src).origin;
  var sid = localStorage.getItem("va_widget_sid") || (Math.random().toString(36).slice(2) + Date.now());
  localStorage.setItem("va_widget_sid", sid);
  var box = document.createElement("div");
  box.style.cssText = "position:fixed;bottom:16px;right:16px;width:320px;font:14px sans-serif;" +
    "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.2);z-index:99999";
  box.innerHTML = '<div style="padding:8px;font-weight:bold"></div><div class="va-log" ' +
    'style="height:240px;overflow:auto;padding:8px"></div><form style="display:flex;border-top:1px solid #eee">' +
    '<input style="flex:1;border:0;padding:8px" placeholder="Type a message"><button>Send</button></form>';
  box.firstChild.textContent = s.getAttribute("data-title") || "Chat with us";
  document.body.appendChild(box);
  var log = box.querySelector(".va-log"), input = box.querySelector("input");
  function add(who, text) { var p = document.createElement("p"); p.textContent = who + ": " + text; log.appendChild(p);
    log.scrollTop = log.scrollHeight; }
  box.querySelector("form").addEventListener("submit", function (e) {
    e.preventDefault(); var text = input.value.trim(); if (!text) return; input.value = ""; add("You", text);
    fetch(base + "/api/v1/widget/messages", {method: "POST", headers: {"Content-Type": "application/json",
      "X-Widget-Key": key}, body: JSON.stringify({message: text, session_id: sid})})
      .then(function (r) { return r.json(); })
      .then(function (d) { add("Agent", d.reply || (d.error && d.error.message) || "…"); });
  });
})();
"""
