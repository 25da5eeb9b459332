"""State of the two ways to make an agent from something that exists: a template, or a clone.

The template wizard has three steps: pick a template, fill the brand details (variant, slug,
name, variables), then read the rendered version 1 before creating it, so nobody creates an
agent whose prompt still says "{{property_name}}". Rendering and creating both go through
``va_app.domain.agents.templates``; this module only carries the form between steps.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.agents import AgentsState
from va_app.console.states.auth import error_text
from va_app.domain.agents.templates import clone_agent, create_from_template, list_templates, render_template
from va_app.domain.errors import DomainError, InvalidInput

VAR_PREFIX = "var_"


class TemplateCard(TypedDict):
    """One template as the first wizard step shows it."""

    id: str
    name: str
    description: str
    category: str
    channels: str
    variant_count: int


class VariantOption(TypedDict):
    value: str
    label: str


class VariableField(TypedDict):
    """One ``{{placeholder}}`` of the template with its default (used when left empty)."""

    name: str
    label: str
    default: str


def _cards() -> list[TemplateCard]:
    return [
        TemplateCard(
            id=t["id"],
            name=t["name"],
            description=t["description"],
            category=t["category"],
            channels=", ".join(t["channels"]),
            variant_count=len(t["variants"]),
        )
        for t in list_templates()
    ]


def _clean_slug(value: Any) -> str:
    return str(value or "").strip().lower()


class AgentCreateState(AgentsState):
    """The wizard (step 1-3) and the clone dialog of the agents page."""

    wizard_open: rx.Field[bool] = rx.field(False)
    step: rx.Field[int] = rx.field(1)
    templates: rx.Field[list[TemplateCard]] = rx.field(default_factory=list)
    template_id: rx.Field[str] = rx.field("")
    template_name: rx.Field[str] = rx.field("")
    variants: rx.Field[list[VariantOption]] = rx.field(default_factory=list)
    variant: rx.Field[str] = rx.field("")
    variables: rx.Field[list[VariableField]] = rx.field(default_factory=list)
    form: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    preview_prompt: rx.Field[str] = rx.field("")
    preview_greeting: rx.Field[str] = rx.field("")
    wizard_error: rx.Field[str] = rx.field("")
    creating: rx.Field[bool] = rx.field(False)

    clone_source: rx.Field[str] = rx.field("")
    clone_source_name: rx.Field[str] = rx.field("")
    clone_error: rx.Field[str] = rx.field("")

    @rx.var
    def clone_open(self) -> bool:
        return self.clone_source != ""

    @rx.event
    def open_wizard(self) -> None:
        """Start at step 1 with the built-in templates."""
        self.wizard_open, self.step, self.wizard_error = True, 1, ""
        self.templates = _cards()
        self.template_id = self.template_name = self.variant = ""
        self.form = {}

    @rx.event
    def set_wizard_open(self, value: bool) -> None:
        self.wizard_open = value

    @rx.event
    def choose(self, template_id: str) -> None:
        """Step 1 -> 2: the template's variants and variables become the form."""
        template = next((t for t in list_templates() if t["id"] == template_id), None)
        if template is None:
            self.wizard_error = "That template no longer exists."
            return
        self.template_id, self.template_name = template_id, template["name"]
        self.variants = [VariantOption(value=k, label=v) for k, v in template["variants"].items()]
        self.variant = self.variants[0]["value"] if self.variants else ""
        self.variables = [
            VariableField(name=k, label=k.replace("_", " ").capitalize(), default=str(v))
            for k, v in template["variables"].items()
        ]
        self.step, self.wizard_error = 2, ""

    @rx.event
    def set_variant(self, value: str) -> None:
        self.variant = value

    @rx.event
    def back(self) -> None:
        self.step, self.wizard_error = max(1, self.step - 1), ""

    @rx.event
    def preview(self, form: dict[str, Any]) -> None:
        """Step 2 -> 3: render version 1 with the variables filled in."""
        self.form = {k: str(v).strip() for k, v in form.items()}
        if not self.form.get("slug"):
            self.wizard_error = "Give the agent a slug, e.g. aurelia-paris."
            return
        try:
            rendered = render_template(self.template_id, self.variant or None, self._variables())
        except DomainError as exc:
            self.wizard_error = error_text(exc)
            return
        self.preview_prompt = rendered["version"]["system_prompt"]
        self.preview_greeting = rendered["version"]["greeting"]
        self.step, self.wizard_error = 3, ""

    def _variables(self) -> dict[str, str]:
        """Only the variables the user filled; the template's defaults cover the rest."""
        return {
            key.removeprefix(VAR_PREFIX): value
            for key, value in self.form.items()
            if key.startswith(VAR_PREFIX) and value
        }

    @rx.event
    async def create(self) -> EventSpec | None:
        """Create the agent and its version 1, then open its page."""
        self.creating = True
        try:
            created = await create_from_template(
                await self._principal(),
                self.template_id,
                slug=_clean_slug(self.form.get("slug")),
                name=self.form.get("name") or None,
                brand=self.form.get("brand") or None,
                variant=self.variant or None,
                variables=self._variables(),
            )
        except DomainError as exc:
            self.creating = False
            if exc.code in ("invalid_input", "slug_taken", "permission_denied"):
                self.wizard_error, self.step = error_text(exc), 2
                return None
            return self._failed(exc)
        self.creating, self.wizard_open = False, False
        return rx.redirect(routes.agent_path(created.agent.slug))

    @rx.event
    def ask_clone(self, slug: str, name: str) -> None:
        self.clone_source, self.clone_source_name, self.clone_error = slug, name, ""

    @rx.event
    def set_clone_open(self, value: bool) -> None:
        if not value:
            self.clone_source = self.clone_source_name = ""

    @rx.event
    async def clone(self, form: dict[str, Any]) -> EventSpec | None:
        """Copy the source agent (its latest version, or the one asked for) as a new agent."""
        slug = _clean_slug(form.get("slug"))
        if not slug:
            self.clone_error = "Give the copy a slug of its own."
            return None
        try:
            version_text = str(form.get("version") or "").strip().lstrip("vV")
            if version_text and not version_text.isdigit():
                raise InvalidInput("the version must be a number such as 3, or empty for the latest")
            created = await clone_agent(
                await self._principal(),
                self.clone_source,
                slug=slug,
                name=str(form.get("name") or "").strip() or None,
                brand=str(form.get("brand") or "").strip() or None,
                version=int(version_text) if version_text else None,
            )
        except DomainError as exc:
            if exc.code in ("invalid_input", "slug_taken", "permission_denied", "not_found"):
                self.clone_error = error_text(exc)
                return None
            return self._failed(exc)
        source = self.clone_source_name
        self.clone_source = self.clone_source_name = ""
        await self.reload()
        notes = " ".join(created.notes)
        return rx.toast.success(f"“{created.agent.name}” was cloned from {source} as v1. {notes}".strip())
