"""State of the deploy dialog: version, environment and strategy (all, canary %, gradual schedule).

The gradual schedule is typed as the shares the candidate goes through ("5, 25, 50, 100")
plus one hold time per step, which is how people talk about rollouts; it becomes the
``schedule`` list the deployment service validates (and refuses with a readable reason).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.agent_detail import AgentDetailState
from va_app.console.states.auth import error_text
from va_app.domain.agents.deployments import deploy
from va_app.domain.agents.resolver import ENVIRONMENTS
from va_app.domain.errors import DomainError, InvalidInput

DEFAULT_SCHEDULE = "5, 25, 50, 100"
DEFAULT_HOLD_MIN = "10"
STRATEGY_HELP = {
    "all": "Every conversation of the environment moves to this version now.",
    "canary": "A fixed share tries the version until you promote it (deploy with “all”) or roll back. "
    "A regression rolls it back by itself.",
    "gradual": "The share grows step by step after each hold time while the version stays healthy; "
    "a regression rolls it back by itself.",
}


def parse_schedule(shares: str, hold_minutes: str) -> list[dict[str, int]]:
    """``"5, 25, 50, 100"`` and ``"10"`` -> the service's schedule (the last step holds 0 s)."""
    try:
        percents = [int(p.strip().rstrip("%")) for p in shares.replace(";", ",").split(",") if p.strip()]
    except ValueError as exc:
        raise InvalidInput("the schedule must be whole percents separated by commas, e.g. 5, 25, 50, 100") from exc
    try:
        hold_s = round(float(hold_minutes or 0) * 60)
    except ValueError as exc:
        raise InvalidInput("the hold time must be a number of minutes") from exc
    if not percents:
        raise InvalidInput("the schedule needs at least one step, e.g. 5, 25, 50, 100")
    return [{"percent": p, "hold_seconds": 0 if i == len(percents) - 1 else hold_s} for i, p in enumerate(percents)]


class AgentDeployState(AgentDetailState):
    """The deploy dialog of the agent page."""

    deploy_open: rx.Field[bool] = rx.field(False)
    deploy_env: rx.Field[str] = rx.field("development")
    deploy_version: rx.Field[str] = rx.field("")
    strategy: rx.Field[str] = rx.field("all")
    canary_percent: rx.Field[str] = rx.field("10")
    schedule_text: rx.Field[str] = rx.field(DEFAULT_SCHEDULE)
    hold_minutes: rx.Field[str] = rx.field(DEFAULT_HOLD_MIN)
    deploy_error: rx.Field[str] = rx.field("")
    deploying: rx.Field[bool] = rx.field(False)

    @rx.var
    def version_options(self) -> list[str]:
        """Every version, newest first."""
        return [str(n) for n in range(self.latest_version, 0, -1)]

    @rx.var
    def environment_options(self) -> list[str]:
        return list(ENVIRONMENTS)

    @rx.var
    def strategy_help(self) -> str:
        return STRATEGY_HELP.get(self.strategy, "")

    @rx.var
    def deploy_blocked(self) -> str:
        """Why the deploy button is disabled (empty: it is not). The server checks again."""
        if self.archived:
            return "The agent is archived: restore it before deploying."
        if not self.can_deploy:
            return f"Your role ({self.role}) cannot deploy agents."
        if self.deploy_env == "production" and not self.can_deploy_production:
            return f"Deploying to production needs an admin or owner; your role is {self.role}."
        if self.strategy != "all":
            card = next((c for c in self.environments if c["environment"] == self.deploy_env), None)
            if card is None or not card["deployed"]:
                return f"Nothing serves {self.deploy_env} yet: deploy a version there with “all” first."
        return ""

    @rx.var
    def schedule_preview(self) -> list[str]:
        """The schedule as steps, so a typo shows before the dialog is sent."""
        try:
            steps = parse_schedule(self.schedule_text, self.hold_minutes)
        except InvalidInput:
            return []
        return [
            f"{s['percent']}%" + (f" for {s['hold_seconds'] / 60:g} min" if s["hold_seconds"] else "") for s in steps
        ]

    @rx.event
    def open_deploy(self, environment: str = "development") -> None:
        """Open the dialog for one environment, with the latest version selected."""
        self.deploy_open, self.deploy_error = True, ""
        self.deploy_env = environment if environment in ENVIRONMENTS else "development"
        self.deploy_version = str(self.latest_version) if self.latest_version else ""
        self.strategy = "all"

    @rx.event
    def set_deploy_open(self, value: bool) -> None:
        self.deploy_open = value

    @rx.event
    def set_deploy_env(self, value: str) -> None:
        self.deploy_env, self.deploy_error = value, ""

    @rx.event
    def set_deploy_version(self, value: str) -> None:
        self.deploy_version = value

    @rx.event
    def set_strategy(self, value: str | list[str]) -> None:
        self.strategy, self.deploy_error = value if isinstance(value, str) else value[0], ""

    @rx.event
    def set_canary_percent(self, value: str) -> None:
        self.canary_percent = value

    @rx.event
    def set_schedule_text(self, value: str) -> None:
        self.schedule_text = value

    @rx.event
    def set_hold_minutes(self, value: str) -> None:
        self.hold_minutes = value

    def _strategy_args(self) -> dict[str, Any]:
        if self.strategy == "canary":
            if not self.canary_percent.strip().isdigit():
                raise InvalidInput("the canary share must be a whole percent between 1 and 99")
            return {"percent": int(self.canary_percent)}
        if self.strategy == "gradual":
            return {"schedule": parse_schedule(self.schedule_text, self.hold_minutes)}
        return {}

    @rx.event
    async def submit_deploy(self, form: dict[str, Any]) -> EventSpec | None:
        """Deploy; refusals (promotion order, permission, a running experiment) stay in the dialog."""
        if not self.deploy_version.isdigit():
            self.deploy_error = "Pick the version to deploy."
            return None
        self.deploying = True
        try:
            principal = await self._principal()
            info = await deploy(
                principal,
                self.slug,
                version=int(self.deploy_version),
                environment=self.deploy_env,
                strategy=self.strategy,
                reason=str(form.get("reason") or "").strip(),
                **self._strategy_args(),
            )
            await self._refresh(principal)
        except DomainError as exc:
            self.deploying = False
            if exc.code == "not_authenticated":
                return self._failed(exc)
            self.deploy_error = error_text(exc)
            return None
        self.deploying, self.deploy_open = False, False
        if info.status == "rolling_out":
            return rx.toast.success(
                f"{info.strategy.capitalize()} rollout of v{info.version_number} started in {info.environment} "
                f"at {info.percent}%."
            )
        return rx.toast.success(f"v{info.version_number} now serves all of {info.environment}.")
