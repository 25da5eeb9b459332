"""State of the version editor: start from an existing version, change it, publish a NEW version.

Nothing here edits a version: the form is pre-filled from the base version (the latest, or
``?from=N``) and "Publish" calls ``create_version``, which validates the whole spec with the
same schema as the API and numbers the result. The text fields are an uncontrolled form
(remounted through ``form_key`` when the base changes); toggles and the knowledge-base
multi-select live in vars because the form would not report an unticked box.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.agent_detail import path_segment
from va_app.console.states.auth import AuthState, error_text
from va_app.domain.agents.service import get_agent
from va_app.domain.agents.versions import create_version, get_version, list_versions
from va_app.domain.errors import DomainError, InvalidInput
from va_app.domain.knowledge.service import list_knowledge_bases

TIERS = ["economy", "standard", "premium"]


class KbOption(TypedDict):
    id: str
    name: str
    detail: str


def split_list(text: Any) -> list[str]:
    """Comma- or line-separated entries, trimmed, empty ones and repeats dropped."""
    items: list[str] = []
    for part in str(text or "").replace("\n", ",").split(","):
        item = part.strip()
        if item and item not in items:
            items.append(item)
    return items


def _number(text: Any, what: str, *, integer: bool = False) -> float | int | None:
    raw = str(text or "").strip()
    if not raw:
        return None
    try:
        return int(raw) if integer else float(raw)
    except ValueError as exc:
        kind = "a whole number" if integer else "a number"
        raise InvalidInput(f"{what} must be {kind}") from exc


class AgentEditorState(AuthState):
    """The base version's values, the toggles, and the publish result."""

    slug: rx.Field[str] = rx.field("")
    agent_name: rx.Field[str] = rx.field("")
    base_version: rx.Field[int] = rx.field(0)
    values: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    quality_tier: rx.Field[str] = rx.field("standard")
    temperature: rx.Field[float] = rx.field(0.2)
    pii_masking: rx.Field[bool] = rx.field(True)
    semantic_cache: rx.Field[str] = rx.field("auto")  # guardrails.semantic_cache: auto / on / off
    handoff_enabled: rx.Field[bool] = rx.field(True)
    selected_kbs: rx.Field[list[str]] = rx.field(default_factory=list)
    kb_options: rx.Field[list[KbOption]] = rx.field(default_factory=list)
    form_key: rx.Field[int] = rx.field(0)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    form_error: rx.Field[str] = rx.field("")
    publishing: rx.Field[bool] = rx.field(False)
    _allowed_actions: list[str] = []

    @rx.var
    def tiers(self) -> list[str]:
        return TIERS

    @rx.var
    def back_href(self) -> str:
        return routes.agent_path(self.slug) + "?tab=versions"

    @rx.event
    async def load(self) -> EventSpec | None:
        """The agent's base version (latest, or ``?from=N``) and the tenant's knowledge bases."""
        self.slug = path_segment(self.router.url.path, 1)
        wanted = self.router.url.query_parameters.get("from", "")
        self.loaded, self.form_error = False, ""
        try:
            principal = await self._principal()
            self.agent_name = (await get_agent(principal, self.slug)).name
            if wanted.isdigit():
                base = await get_version(principal, self.slug, int(wanted))
            else:
                latest, _ = await list_versions(principal, self.slug, limit=1)
                if not latest:
                    raise InvalidInput("this agent has no version yet")
                base = latest[0]
            kbs, _ = await list_knowledge_bases(principal, limit=200)
        except DomainError as exc:
            self.loaded = True
            if exc.code in ("not_found", "permission_denied", "invalid_input"):
                self.load_error = error_text(exc)
                return None
            return self._failed(exc)
        policy, guard, handoff = base.model_policy, base.guardrails, base.handoff_rules
        self.base_version = base.number
        self.values = {
            "system_prompt": base.system_prompt,
            "greeting": base.greeting,
            "allowed_models": ", ".join(policy.get("allowed_models") or []),
            "max_cost": ""
            if policy.get("max_cost_per_conversation_usd") is None
            else str(policy["max_cost_per_conversation_usd"]),
            "blocked_topics": ", ".join(guard.get("blocked_topics") or []),
            "on_intents": ", ".join(handoff.get("on_intents") or []),
            "on_keywords": ", ".join(handoff.get("on_keywords") or []),
            "max_failed_turns": "" if handoff.get("max_failed_turns") is None else str(handoff["max_failed_turns"]),
            "min_confidence": "" if handoff.get("min_confidence") is None else str(handoff["min_confidence"]),
            "target_queue": str(handoff.get("target_queue") or ""),
            "handoff_message": str(handoff.get("message") or ""),
        }
        self.quality_tier = str(policy.get("quality_tier") or "standard")
        self.temperature = float(base.temperature)
        self.pii_masking = bool(guard.get("pii_masking", True))
        self.semantic_cache = str(guard.get("semantic_cache") or "auto")
        self.handoff_enabled = bool(handoff.get("enabled", True))
        self.selected_kbs = list(base.knowledge_base_ids)
        self._allowed_actions = list(base.allowed_actions)
        self.kb_options = [
            KbOption(id=kb.id, name=kb.name, detail=f"{kb.document_count} documents · {kb.chunk_count} chunks")
            for kb in kbs
        ]
        self.form_key += 1
        self.loaded, self.load_error = True, ""
        return None

    @rx.event
    def set_quality_tier(self, value: str) -> None:
        self.quality_tier = value

    @rx.event
    def set_temperature(self, value: list[float] | float) -> None:
        self.temperature = round(float(value[0] if isinstance(value, list) else value), 2)

    @rx.event
    def set_pii_masking(self, value: bool) -> None:
        self.pii_masking = value

    @rx.event
    def set_semantic_cache(self, value: str) -> None:
        self.semantic_cache = value

    @rx.event
    def set_handoff_enabled(self, value: bool) -> None:
        self.handoff_enabled = value

    @rx.event
    def toggle_kb(self, kb_id: str, checked: bool) -> None:
        chosen = [k for k in self.selected_kbs if k != kb_id]
        self.selected_kbs = [*chosen, kb_id] if checked else chosen

    def _spec(self, form: dict[str, Any]) -> dict[str, Any]:
        note = str(form.get("change_note") or "").strip()
        if not note:
            raise InvalidInput("say in the change note what this version changes and why")
        return {
            "system_prompt": str(form.get("system_prompt") or ""),
            "greeting": str(form.get("greeting") or ""),
            "model_policy": {
                "quality_tier": self.quality_tier,
                "allowed_models": split_list(form.get("allowed_models")),
                "max_cost_per_conversation_usd": _number(form.get("max_cost"), "the maximum cost per conversation"),
            },
            "temperature": self.temperature,
            "knowledge_base_ids": list(self.selected_kbs),
            "allowed_actions": list(self._allowed_actions),
            "guardrails": {
                "blocked_topics": split_list(form.get("blocked_topics")),
                "pii_masking": self.pii_masking,
                "semantic_cache": self.semantic_cache,
            },
            "handoff_rules": {
                "enabled": self.handoff_enabled,
                "on_intents": split_list(form.get("on_intents")),
                "on_keywords": split_list(form.get("on_keywords")),
                "max_failed_turns": _number(form.get("max_failed_turns"), "failed turns before handoff", integer=True),
                "min_confidence": _number(form.get("min_confidence"), "the minimum confidence"),
                "target_queue": str(form.get("target_queue") or "").strip() or "support",
                "message": str(form.get("handoff_message") or "").strip()
                or "Let me connect you with a colleague who can help.",
            },
            "change_note": note,
        }

    @rx.event
    async def publish(self, form: dict[str, Any]) -> list[EventSpec] | EventSpec | None:
        """Create the next version from the form, then show its diff against the base."""
        self.publishing = True
        try:
            spec = self._spec(form)
            created = await create_version(await self._principal(), self.slug, spec)
        except DomainError as exc:
            self.publishing = False
            if exc.code == "not_authenticated":
                return self._failed(exc)
            self.form_error = error_text(exc)
            return None
        self.publishing, self.form_error = False, ""
        return [
            rx.toast.success(f"v{created.number} published. Deploy it when you are ready."),
            rx.redirect(routes.agent_path(self.slug) + "?tab=versions"),
        ]
