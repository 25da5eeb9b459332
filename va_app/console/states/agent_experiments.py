"""State of the experiments tab: start an A/B split, read its results and verdict, stop it.

The verdict sentence and the winner come from ``va_app.domain.agents.experiments`` (significance
tests with a Bonferroni correction); the page only shows them. "Stop & promote winner" is
offered when the service names a winner, and the service refuses it otherwise.
"""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.agent_detail import AgentDetailState
from va_app.console.states.auth import error_text
from va_app.console.states.formatting import stamp
from va_app.domain.agents.experiments import (
    METRICS,
    create_experiment,
    experiment_results,
    list_experiments,
    stop_experiment,
)
from va_app.domain.errors import DomainError, InvalidInput


class ExperimentRow(TypedDict):
    id: str
    name: str
    environment: str
    variants: str
    metric: str
    status: str
    winner: str
    started: str
    stopped: str


class VariantInput(TypedDict):
    version: str
    percent: str


class ResultRow(TypedDict):
    """One variant's figures, formatted, with its comparison against the control."""

    version: str
    share: str
    events: str
    automation: str
    errors: str
    handoffs: str
    latency: str
    csat: str
    p_value: str
    significant: bool


def _rate(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1%}"


def _result_rows(results: dict[str, Any]) -> list[ResultRow]:
    tests = {c["version"]: c for c in results["comparisons"]}
    rows: list[ResultRow] = []
    for v in results["variants"]:
        test = tests.get(v["version"])
        rows.append(
            ResultRow(
                version=f"v{v['version']}" + ("" if test else " (control)"),
                share=f"{v['percent']}%",
                events=f"{v['events']:,}",
                automation=_rate(v["automation_rate"]),
                errors=_rate(v["error_rate"]),
                handoffs=_rate(v["handoff_rate"]),
                latency="—" if v["latency_ms"] is None else f"{v['latency_ms']:.0f} ms",
                csat="—" if v["csat"] is None else f"{v['csat']:.2f}",
                p_value="—" if test is None else f"{test['p_value']:.3g}",
                significant=bool(test and test["significant"]),
            )
        )
    return rows


def _experiment_row(info: Any) -> ExperimentRow:
    return ExperimentRow(
        id=info.id,
        name=info.name,
        environment=info.environment,
        variants=" · ".join(f"v{v['version']} {v['percent']}%" for v in info.variants),
        metric=METRICS[info.primary_metric][2] if info.primary_metric in METRICS else info.primary_metric,
        status=info.status,
        winner=f"v{info.winner_version}" if info.winner_version else "",
        started=stamp(info.started_at),
        stopped=stamp(info.stopped_at),
    )


class AgentExperimentsState(AgentDetailState):
    """Experiments of the agent, the start dialog and the results of the one being read."""

    experiments: rx.Field[list[ExperimentRow]] = rx.field(default_factory=list)
    exp_open: rx.Field[bool] = rx.field(False)
    exp_env: rx.Field[str] = rx.field("production")
    exp_metric: rx.Field[str] = rx.field("automation_rate")
    exp_variants: rx.Field[list[VariantInput]] = rx.field(default_factory=list)
    exp_error: rx.Field[str] = rx.field("")

    results_id: rx.Field[str] = rx.field("")
    results_name: rx.Field[str] = rx.field("")
    results_status: rx.Field[str] = rx.field("")
    results: rx.Field[list[ResultRow]] = rx.field(default_factory=list)
    verdict: rx.Field[str] = rx.field("")
    winner: rx.Field[int] = rx.field(0)
    results_note: rx.Field[str] = rx.field("")

    @rx.var
    def metric_options(self) -> list[str]:
        return list(METRICS)

    @rx.event
    async def load_experiments(self) -> EventSpec | None:
        """``on_load`` (after the agent): the experiments, newest first."""
        return await self._load_experiments()

    async def _load_experiments(self) -> EventSpec | None:
        if not self.slug or self.load_error:
            return None
        try:
            rows, _ = await list_experiments(await self._principal(), self.slug, limit=50)
        except DomainError as exc:
            return self._failed(exc)
        self.experiments = [_experiment_row(r) for r in rows]
        return None

    @rx.event
    def open_experiment(self) -> None:
        """Two variants to start with: the latest version against the one before it, 50/50."""
        latest = self.latest_version
        self.exp_variants = [
            VariantInput(version=str(max(1, latest - 1)), percent="50"),
            VariantInput(version=str(latest), percent="50"),
        ]
        self.exp_open, self.exp_error = True, ""

    @rx.event
    def set_exp_open(self, value: bool) -> None:
        self.exp_open = value

    @rx.event
    def set_exp_env(self, value: str) -> None:
        self.exp_env = value

    @rx.event
    def set_exp_metric(self, value: str) -> None:
        self.exp_metric = value

    @rx.event
    def set_variant(self, index: int, key: str, value: str) -> None:
        if not (0 <= index < len(self.exp_variants) and key in ("version", "percent")):
            return
        old = self.exp_variants[index]
        new = VariantInput(
            version=value if key == "version" else old["version"],
            percent=value if key == "percent" else old["percent"],
        )
        self.exp_variants = [new if i == index else v for i, v in enumerate(self.exp_variants)]

    @rx.event
    def add_variant(self) -> None:
        self.exp_variants = [*self.exp_variants, VariantInput(version=str(self.latest_version), percent="0")]

    @rx.event
    def remove_variant(self, index: int) -> None:
        if len(self.exp_variants) > 2:
            self.exp_variants = [v for i, v in enumerate(self.exp_variants) if i != index]

    def _variants(self) -> list[dict[str, int]]:
        parsed: list[dict[str, int]] = []
        for row in self.exp_variants:
            version, percent = row["version"].strip().lstrip("vV"), row["percent"].strip().rstrip("%")
            if not (version.isdigit() and percent.isdigit()):
                raise InvalidInput("each variant needs a version number and a whole percent")
            parsed.append({"version": int(version), "percent": int(percent)})
        return parsed

    @rx.event
    async def start_experiment(self, form: dict[str, Any]) -> EventSpec | None:
        """Start the split; the first variant is the control."""
        name = str(form.get("name") or "").strip()
        if not name:
            self.exp_error = "Name the experiment, e.g. “shorter prompt”."
            return None
        try:
            principal = await self._principal()
            info = await create_experiment(
                principal,
                self.slug,
                name=name,
                environment=self.exp_env,
                variants=self._variants(),
                primary_metric=self.exp_metric,
                hypothesis=str(form.get("hypothesis") or "").strip(),
            )
        except DomainError as exc:
            if exc.code == "not_authenticated":
                return self._failed(exc)
            self.exp_error = error_text(exc)
            return None
        self.exp_open = False
        await self._load_experiments()
        return await self._show_results(info.id)

    @rx.event
    async def show_results(self, experiment_id: str) -> EventSpec | None:
        """Per-variant figures, p-values and the verdict of one experiment."""
        return await self._show_results(experiment_id)

    async def _show_results(self, experiment_id: str) -> EventSpec | None:
        try:
            results = await experiment_results(await self._principal(), self.slug, uuid.UUID(experiment_id))
        except DomainError as exc:
            return self._failed(exc)
        except Exception:  # analytics unreachable: a sentence, not a trace
            return rx.toast.error("Results could not be read from analytics just now. Try again in a moment.")
        experiment = results["experiment"]
        self.results_id, self.results_name = experiment_id, experiment["name"]
        self.results_status = experiment["status"]
        self.results = _result_rows(results)
        self.verdict, self.results_note = results["verdict"], results["note"]
        self.winner = results["winner_version"] or 0
        return None

    @rx.event
    async def stop(self, promote_winner: bool) -> EventSpec | None:
        """Stop the experiment; with ``promote_winner`` deploy the winner to the whole environment."""
        try:
            principal = await self._principal()
            outcome = await stop_experiment(
                principal, self.slug, uuid.UUID(self.results_id), promote_winner=promote_winner
            )
            await self._refresh(principal)
        except DomainError as exc:
            return self._failed(exc)
        await self._load_experiments()
        await self._show_results(self.results_id)
        deployed = outcome["deployment"]
        if deployed:
            where = deployed["environment"]
            return rx.toast.success(f"Stopped; v{deployed['version_number']} now serves all of {where}.")
        return rx.toast.success("Experiment stopped; traffic follows the deployment again.")
