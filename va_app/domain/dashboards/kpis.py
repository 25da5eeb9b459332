"""What every dashboard tile and chart means, defined once.

The console's tooltips, the README's KPI table (``tests/domain/dashboards/test_kpi_registry.py``
checks they agree) and the invariant tests all read this registry, so a definition cannot
drift between what people read and what the queries compute (``analytics/queries/metrics.py``).

Counts form a hierarchy over the same range and filters: a count never exceeds its parent
(``at_most``), and a rate is a count over its parent (``ratio``), so it lies in [0, 1].

* turn level: turns >= contained >= automated, turns >= handoffs, errors, rated turns;
* conversation level: turns >= conversations >= active conversations.

Automation counts only the ``answered`` outcome, whatever other outcomes the runtime records
(handoff, error, blocked/refused, unanswered...): a turn the agent did not answer is never
automated, and it counts as unresolved in "Unresolved intents".
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.queries.metrics import ACTIVE_WINDOW, EXACT_DISTINCT_MAX_TURNS

_ACTIVE_MINUTES = int(ACTIVE_WINDOW.total_seconds() // 60)


@dataclass(frozen=True)
class Kpi:
    key: str  # the column of the summary / series (``analytics.queries.metrics``)
    label: str  # what the tile or README calls it
    definition: str
    at_most: str | None = None  # the parent count it can never exceed
    ratio: tuple[str, str] | None = None  # (numerator, denominator) for rates
    tile: bool = True  # shown as a KPI tile on /analytics


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "events",
        "Turns",
        "Conversation turns (one user message and the agent's reply, a conversation.logs event) whose time "
        "falls in the range, each counted once. Ranges up to 6 h count whole minutes, longer ones whole hours "
        "(the window is shown under the tiles).",
    ),
    Kpi(
        "conversations",
        "Conversations",
        "Distinct conversations with at least one turn in the range. Counted exactly from the raw turns "
        f"when the range holds up to {EXACT_DISTINCT_MAX_TURNS:,} turns; above that a HyperLogLog estimate "
        "(about 1.6 % error), never shown above the turn count.",
        at_most="events",
    ),
    Kpi(
        "active_conversations",
        "Active conversations",
        f"Distinct conversations with a turn in the last {_ACTIVE_MINUTES} minutes of the range "
        "(for a range ending now: conversations in progress). Counted exactly.",
        at_most="conversations",
    ),
    Kpi(
        "automated",
        "Automated turns",
        "Turns the agent answered itself (outcome answered). Handoffs, errors, refusals and non-answers "
        "('I don't have information about that') are not automated.",
        at_most="contained",
        tile=False,
    ),
    Kpi(
        "contained",
        "Contained turns",
        "Turns that stayed with the agent: not handed off to a person and not failed with an error "
        "(answered, refused or unanswered turns).",
        at_most="events",
        tile=False,
    ),
    Kpi("handoffs", "Handoffs", "Turns handed off to a person.", at_most="events", tile=False),
    Kpi(
        "errors",
        "Errors",
        "Turns that failed with an error (no answer could be produced).",
        at_most="events",
        tile=False,
    ),
    Kpi("csat_count", "Rated turns", "Turns the user rated (CSAT 1-5).", at_most="events", tile=False),
    Kpi(
        "automation_rate",
        "Automation rate",
        "Automated turns / turns: the share of turns the agent answered itself (outcome answered only).",
        ratio=("automated", "events"),
    ),
    Kpi(
        "containment_rate",
        "Containment rate",
        "Contained turns / turns: the share of turns that stayed with the agent (no handoff, no error), "
        "answered or not.",
        ratio=("contained", "events"),
    ),
    Kpi(
        "handoff_rate",
        "Handoff rate",
        "Handoffs / turns: the share of turns handed off to a person.",
        ratio=("handoffs", "events"),
    ),
    Kpi(
        "error_rate",
        "Error rate",
        "Errors / turns: the share of turns that failed with an error.",
        ratio=("errors", "events"),
    ),
    Kpi(
        "csat",
        "CSAT",
        "Mean satisfaction score (1-5) of the rated turns in the range; n/a when none was rated.",
    ),
    Kpi("latency_p50", "Latency p50", "Median reply time of a turn, in ms (t-digest estimate)."),
    Kpi("latency_p95", "Latency p95", "95th percentile of the reply time of a turn, in ms (t-digest estimate)."),
    Kpi("latency_p99", "Latency p99", "99th percentile of the reply time of a turn, in ms (t-digest estimate)."),
    Kpi("tokens", "Tokens", "Prompt plus completion tokens the models reported for the turns (cached answers: 0)."),
    Kpi("cost_usd", "Cost", "What the turns' model calls cost in USD (catalog price x reported tokens)."),
    Kpi(
        "cost_per_resolved",
        "Cost per resolved",
        "Cost / automated turns: what each turn the agent answered itself cost, the other turns' cost included.",
    ),
)
BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}
TILES: tuple[Kpi, ...] = tuple(k for k in KPIS if k.tile)


@dataclass(frozen=True)
class Chart:
    name: str  # the chart card's CSS suffix on /analytics (``chart-<name>``)
    title: str
    definition: str


CHARTS: tuple[Chart, ...] = (
    Chart("volume", "Volume (turns)", "Turns per time bucket (see Turns)."),
    Chart("errors", "Error rate", "Turns with an error / turns, per time bucket."),
    Chart("latency", "Latency p95 (ms)", "95th percentile of the reply time per time bucket."),
    Chart("cost", "Cost (USD)", "Model cost of the turns per time bucket."),
    Chart("agents", "Turns per agent", "Turns in the range, split by agent."),
    Chart(
        "versions",
        "Versions compared",
        "Automation, handoff and error rate of each agent version (over turns, as the tiles).",
    ),
    Chart("models", "Cost per model (USD)", "Model cost of the turns in the range, split by model."),
    Chart("channels", "Turns per channel", "Turns in the range, split by channel."),
    Chart("intents", "Top intents", "The ten intents with the most turns."),
    Chart(
        "unresolved",
        "Unresolved intents",
        "Per intent, the share of its turns the agent did not answer itself (1 - automation rate: handoffs, "
        "errors, refusals and non-answers); the ten worst.",
    ),
    Chart(
        "funnel",
        "Funnel",
        "Turns -> without error -> contained (no handoff either) -> automated (answered); each stage is part "
        "of the one before.",
    ),
)
CHART_BY_NAME: dict[str, Chart] = {c.name: c for c in CHARTS}


def hierarchy() -> list[tuple[str, str]]:
    """Every (child, parent) pair of counts: child <= parent over the same range and filters."""
    return [(k.key, k.at_most) for k in KPIS if k.at_most is not None]


def readme_table() -> str:
    """The README's KPI table (Markdown), generated from this registry."""
    rows = ["| KPI | definition |", "|---|---|"]
    rows += [f"| {k.label} (`{k.key}`) | {k.definition} |" for k in KPIS]
    rows += [f"| chart: {c.title} | {c.definition} |" for c in CHARTS]
    return "\n".join(rows)
