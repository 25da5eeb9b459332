"""State of the live dashboards page (``/analytics``).

The frames stay server-side in backend-only vars (``_live``); the page gets cached plotly
figures and KPI tiles derived from them, recomputed only when ``revision`` moves. The page
refreshes itself every ``REFRESH_S`` seconds (``LiveState``: the queries run outside the state
lock); changing a filter starts a new loop, which replaces the running one. Clicking a chart
point drills down into the conversation explorer filtered to that bucket or dimension value.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, TypedDict
from urllib.parse import urlencode

import plotly.graph_objects as go
import polars as pl
import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState
from va_app.console.states.live import LiveState, failure_text
from va_app.domain.agents.lookup import agent_filter_value
from va_app.domain.dashboards import figures
from va_app.domain.dashboards.kpis import TILES
from va_app.domain.dashboards.live import LiveDashboard, live_dashboard
from va_app.domain.dashboards.service import DashboardRequest
from va_app.domain.errors import DomainError
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.identity.tenants import platform_tenants
from va_app.domain.reports.narrative import fmt

REFRESH_S = 5.0
PRESETS = {
    "1h": dt.timedelta(hours=1),
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
}
STEP = {
    "minute": dt.timedelta(minutes=1),
    "5min": dt.timedelta(minutes=5),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
}


class Kpi(TypedDict):
    key: str
    label: str
    value: str
    definition: str  # the tile's tooltip, from the KPI registry


def _frame(live: LiveDashboard | None, name: str) -> pl.DataFrame:
    """One breakdown; agents by slug rather than the id the events carry."""
    frame = pl.DataFrame() if live is None else live.breakdowns.get(name, pl.DataFrame())
    if name != "agent" or live is None or frame.is_empty() or not live.agent_slugs:
        return frame
    return frame.with_columns(pl.col("dimension").cast(pl.Utf8).replace(live.agent_slugs))


class AnalyticsState(LiveState, AuthState):
    LIVE_ROUTE: ClassVar[str] = routes.ANALYTICS
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

    range_preset: str = "24h"
    custom_start: str = ""
    custom_end: str = ""
    granularity: str = "auto"
    agent: str = ""
    version: str = ""
    channel: str = ""
    model: str = ""
    tenant: str = ""  # a superadmin's pick (slug; an id from a link works too); "" = own tenant
    tenant_options: list[str] = []
    _tenant_ids: dict[str, str] = {}
    error: str = ""
    loaded: bool = False
    revision: int = 0
    updated_at: str = ""
    _live: LiveDashboard | None = None

    def _request(self) -> DashboardRequest:
        now = dt.datetime.now(dt.UTC)
        if self.range_preset == "custom" and self.custom_start and self.custom_end:
            start = dt.datetime.fromisoformat(self.custom_start).replace(tzinfo=dt.UTC)
            end = dt.datetime.fromisoformat(self.custom_end).replace(tzinfo=dt.UTC)
        else:
            end, start = now, now - PRESETS.get(self.range_preset, PRESETS["24h"])
        agent = agent_filter_value(self.agent, self._live.agent_slugs if self._live else {})
        filters: dict[str, str | int] = {"agent": agent, "channel": self.channel, "model": self.model}
        if self.version.isdigit():
            filters["version"] = int(self.version)
        return DashboardRequest(
            start=start,
            end=end,
            granularity=None if self.granularity == "auto" else self.granularity,  # type: ignore[arg-type]
            filters={k: v for k, v in filters.items() if v != ""},
        )

    @rx.event
    async def load_params(self) -> None:
        """Take filters from the URL (alert links: ``?agent=&from=&to=``); list tenants for superadmins."""
        if not self.tenant_options:
            try:
                principal = await self._principal()
                tenants = await platform_tenants(principal) if principal.can(Perm.PLATFORM_ADMIN) else []
            except DomainError:
                tenants = []
            self._tenant_ids = {t["slug"]: t["id"] for t in tenants}
            self.tenant_options = ["own tenant", *self._tenant_ids]
        params = self.router.url.query_parameters
        self.agent = params.get("agent", self.agent)
        if params.get("from") and params.get("to"):
            self.range_preset = "custom"
            self.custom_start = params["from"].replace("Z", "")[:16]
            self.custom_end = params["to"].replace("Z", "")[:16]

    def _live_begin(self) -> tuple[DashboardRequest, str | None] | None:
        """The request the filters describe, or None (and a message) for an invalid custom range."""
        try:
            return self._request(), self._tenant_ids.get(self.tenant, self.tenant) or None
        except ValueError:
            self.error = "The custom range is not a valid date and time."
            return None

    async def _live_read(self, principal: Principal, begun: tuple[DashboardRequest, str | None]) -> LiveDashboard:
        request, tenant = begun
        return await live_dashboard(principal, request, tenant)

    def _live_apply(self, reading: LiveDashboard, _begun: object) -> bool:
        self.error, self.loaded = "", True
        self._live = reading
        self.revision += 1
        self.updated_at = dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC")
        return True

    def _live_failed(self, exc: Exception) -> bool:
        """The analytics store down: say so, keep the last data."""
        self.error, self.loaded = failure_text(exc, "analytics", REFRESH_S), True
        return True

    @rx.event
    def set_filter(self, name: str, value: str) -> EventSpec:
        """Change one control and refresh now (a new loop replaces the running one)."""
        setattr(self, name, "" if value in ("all", "own tenant") else value)
        return AnalyticsState.start_refresh

    @rx.var(cache=True)
    def kpis(self) -> list[Kpi]:
        _ = self.revision
        totals = self._live.totals if self._live else {}
        return [
            Kpi(key=k.key, label=k.label, value=fmt(k.key, totals.get(k.key)), definition=k.definition) for k in TILES
        ]

    @rx.var(cache=True)
    def window_text(self) -> str:
        """The turns the tiles cover: whole minutes or hours of the range (see the Turns tile)."""
        _ = self.revision
        totals = self._live.totals if self._live else {}
        start, end = str(totals.get("window_start") or ""), str(totals.get("window_end") or "")
        if not start or not end:
            return ""
        return f"Tiles cover {start[:16].replace('T', ' ')} to {end[:16].replace('T', ' ')} UTC"

    @rx.var(cache=True)
    def options(self) -> dict[str, list[str]]:
        """Values seen in the range, for the filter selects."""
        _ = self.revision
        out: dict[str, list[str]] = {}
        for name in ("agent", "version", "channel", "model"):
            frame = _frame(self._live, name)
            values = [] if frame.is_empty() else [str(v) for v in frame["dimension"].to_list() if v not in (None, "")]
            out[name] = ["all", *sorted(set(values))]
        return out

    def _ts(self, metric: str, title: str) -> go.Figure:
        if self._live is None:
            return figures.timeseries(pl.DataFrame(), pl.DataFrame(), metric, title)
        return figures.timeseries(self._live.series, self._live.bands, metric, title)

    @rx.var(cache=True)
    def volume_fig(self) -> go.Figure:
        _ = self.revision
        return self._ts("events", "Volume (turns)")

    @rx.var(cache=True)
    def error_fig(self) -> go.Figure:
        _ = self.revision
        return self._ts("error_rate", "Error rate")

    @rx.var(cache=True)
    def latency_fig(self) -> go.Figure:
        _ = self.revision
        return self._ts("latency_p95", "Latency p95 (ms)")

    @rx.var(cache=True)
    def cost_fig(self) -> go.Figure:
        _ = self.revision
        return self._ts("cost_usd", "Cost (USD)")

    @rx.var(cache=True)
    def agent_fig(self) -> go.Figure:
        _ = self.revision
        return figures.breakdown_bars(_frame(self._live, "agent"), "events", "Turns per agent")

    @rx.var(cache=True)
    def version_fig(self) -> go.Figure:
        _ = self.revision
        agents = 1 if self.agent else _frame(self._live, "agent").height
        return figures.versions_side_by_side(
            _frame(self._live, "version").sort("dimension") if self._live else pl.DataFrame(), agents
        )

    @rx.var(cache=True)
    def model_fig(self) -> go.Figure:
        _ = self.revision
        return figures.breakdown_bars(_frame(self._live, "model"), "cost_usd", "Cost per model (USD)")

    @rx.var(cache=True)
    def channel_fig(self) -> go.Figure:
        _ = self.revision
        return figures.breakdown_bars(_frame(self._live, "channel"), "events", "Turns per channel")

    @rx.var(cache=True)
    def intent_fig(self) -> go.Figure:
        _ = self.revision
        return figures.breakdown_bars(_frame(self._live, "intent").head(10), "events", "Top intents")

    @rx.var(cache=True)
    def unresolved_fig(self) -> go.Figure:
        _ = self.revision
        return figures.unresolved_intents(_frame(self._live, "intent"))

    @rx.var(cache=True)
    def funnel_fig(self) -> go.Figure:
        _ = self.revision
        return figures.funnel(self._live.totals if self._live else {})

    def _explorer(self, **filters: str) -> EventSpec:
        live = self._live
        query = {
            k: v
            for k, v in {
                "agent": self.agent,
                "version": self.version,
                "channel": self.channel,
                "model": self.model,
                **filters,
            }.items()
            if v
        }
        if live and "start" not in query:
            query |= {"start": live.start.isoformat()[:19], "end": live.end.isoformat()[:19]}
        return rx.redirect(f"{routes.CONVERSATIONS}?{urlencode(query)}")

    @rx.event
    def drill_time(self, points: list[dict]) -> EventSpec | None:
        """A time-series point: the conversations of that bucket."""
        if not points or self._live is None or not points[0].get("x"):
            return None
        start = dt.datetime.fromisoformat(str(points[0]["x"])[:16])
        step = STEP.get(self._live.granularity, dt.timedelta(hours=1))
        return self._explorer(start=start.isoformat()[:19], end=(start + step).isoformat()[:19])

    @rx.event
    def drill_dimension(self, points: list[dict], dimension: str) -> EventSpec | None:
        """A bar: the conversations of that agent, version, channel, model or intent."""
        if not points or points[0].get("x") in (None, "", "(none)"):
            return None
        value = str(points[0]["x"]).removeprefix("v") if dimension == "version" else str(points[0]["x"])
        return self._explorer(**{dimension: value})
