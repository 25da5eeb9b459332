"""State of the rollout timeline: traffic split per version over time, and KPIs per version.

The split is rebuilt from the deployment history the detail state already holds (every
transition records the candidate's share), so the chart and the history table can never
disagree. KPIs per version come from analytics (``agent_metrics``, the ``by_version`` panel)
over the last 24 hours, counting only turns served in the environment the timeline shows (a
version's staging errors are not its production figures); analytics being down leaves the
rest of the page working.
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

import reflex as rx

from va_app.console.states.agent_detail import AgentDetailState, EnvCard, HistoryRow
from va_app.console.states.auth import error_text
from va_app.domain.dashboards.service import DashboardRequest, agent_metrics
from va_app.domain.errors import DomainError

log = logging.getLogger(__name__)

# One colour per version in order of appearance (Radix scale 9 names, readable on white).
PALETTE = ("indigo", "orange", "teal", "crimson", "amber", "cyan", "plum", "grass")
FULL_SPLIT_KINDS = {"deployment.deployed", "deployment.rolled_back", "rollout.completed", "rollout.rolled_back"}
PARTIAL_SPLIT_KINDS = {"rollout.started", "rollout.advanced"}


class Series(TypedDict):
    """One version's line in the split chart."""

    key: str
    color: str


class KpiRow(TypedDict):
    """One version's KPIs over the window (rates in percent for the charts)."""

    version: str
    events: int
    error_rate: float
    latency_p95: float
    handoff_rate: float
    automation_rate: float


def split_after(event: HistoryRow) -> dict[int, int] | None:
    """The traffic share per version right after ``event``; None when the event changes nothing."""
    if event["kind"] in FULL_SPLIT_KINDS and event["to_version"] >= 0:
        return {event["to_version"]: 100}
    if event["kind"] in PARTIAL_SPLIT_KINDS and event["to_version"] >= 0 and event["share"] >= 0:
        share = event["share"]
        split = {event["to_version"]: share}
        if event["from_version"] >= 0 and share < 100:
            split[event["from_version"]] = 100 - share
        return split
    return None


def split_points(events: list[HistoryRow], environment: str, now: EnvCard | None) -> list[dict[str, Any]]:
    """Chart rows oldest first: ``{"t": clock, "v1": 95, "v2": 5}``, ending with the split now."""
    points: list[dict[str, Any]] = []
    for event in reversed(events):  # the history is newest first
        if event["environment"] != environment:
            continue
        split = split_after(event)
        if split is not None:
            points.append({"t": event["clock"], **{f"v{v}": p for v, p in split.items()}})
    if points and now is not None and now["deployed"]:
        current = {now["stable"]: 100 - now["percent"]} if now["rolling"] else {now["stable"]: 100}
        if now["rolling"]:
            current[now["candidate"]] = now["percent"]
        points.append({"t": "now", **current})
    keys = sorted({k for p in points for k in p if k != "t"}, key=lambda k: int(k[1:]))
    return [{k: p.get(k, 0) for k in keys} | {"t": p["t"]} for p in points]


def _percent(value: Any) -> float:
    return round(float(value) * 100, 2) if value is not None else 0.0


def kpi_rows(by_version: list[dict[str, Any]]) -> list[KpiRow]:
    """The ``by_version`` panel as chart rows, lowest version first."""
    rows = [
        KpiRow(
            version=f"v{row['dimension']}",
            events=int(row.get("events") or 0),
            error_rate=_percent(row.get("error_rate")),
            latency_p95=round(float(row.get("latency_p95") or 0), 1),
            handoff_rate=_percent(row.get("handoff_rate")),
            automation_rate=_percent(row.get("automation_rate")),
        )
        for row in by_version
        if row.get("dimension") is not None
    ]
    return sorted(rows, key=lambda r: int(r["version"][1:]))


class AgentTimelineState(AgentDetailState):
    """Which environment the timeline shows, and the KPIs per version."""

    timeline_env: rx.Field[str] = rx.field("production")
    kpis: rx.Field[list[KpiRow]] = rx.field(default_factory=list)
    kpi_error: rx.Field[str] = rx.field("")
    kpi_loading: rx.Field[bool] = rx.field(False)

    @rx.var
    def timeline(self) -> list[dict[str, Any]]:
        """Traffic share per version after each transition in the chosen environment."""
        now = next((c for c in self.environments if c["environment"] == self.timeline_env), None)
        return split_points(self.events, self.timeline_env, now)

    @rx.var
    def series(self) -> list[Series]:
        """The versions in the chart, each with its colour."""
        keys = sorted({k for p in self.timeline for k in p if k != "t"}, key=lambda k: int(k[1:]))
        return [Series(key=k, color=PALETTE[i % len(PALETTE)]) for i, k in enumerate(keys)]

    @rx.var
    def timeline_events(self) -> list[HistoryRow]:
        """The transitions of the chosen environment, newest first, for the list under the chart."""
        return [e for e in self.events if e["environment"] == self.timeline_env]

    @rx.var
    def kpi_scope(self) -> str:
        """What the KPI charts count, under their heading."""
        turns = sum(r["events"] for r in self.kpis)
        return f"{turns} turns served in {self.timeline_env} in the last 24 h"

    @rx.event
    def set_timeline_env(self, value: str | list[str]) -> Any:  # the KPI reload, an event handler
        """Show another environment: its transitions, and its KPIs (read again)."""
        self.timeline_env = value if isinstance(value, str) else value[0]
        return AgentTimelineState.load_kpis

    @rx.event
    async def load_kpis(self) -> None:
        """Error rate, p95 latency and handoff rate per version in the timeline's environment,
        last 24 hours, from analytics."""
        if not self.agent_id:
            return
        self.kpi_loading = True
        try:
            request = DashboardRequest(environment=self.timeline_env)
            metrics = await agent_metrics(await self._principal(), self.agent_id, request)
        except DomainError as exc:
            self.kpis, self.kpi_error = [], error_text(exc)
        except Exception:  # analytics down: say so, keep the deployment controls working
            log.exception("agent KPIs failed")
            self.kpis, self.kpi_error = [], "Analytics could not be read just now; deployments still work."
        else:
            self.kpis, self.kpi_error = kpi_rows(metrics["panels"].get("by_version") or []), ""
        self.kpi_loading = False
