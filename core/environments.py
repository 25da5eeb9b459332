"""The one vocabulary of environments an agent version is served in, and what "unknown" means.

Deployments, the chat runtime, the turn events, the ingest processors and the analytics
queries all speak of environments, and they run in different processes, so the words live
here. Every ``conversation.logs`` event carries the environment that served it (and the
deployment it was served under); an event without one (sent before environments were
recorded, or by a producer that does not say) has :data:`UNKNOWN`, which counts in "all
environments" figures but never in a per-environment figure or verdict.
"""

from __future__ import annotations

from typing import Literal, get_args

Environment = Literal["development", "staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
UNKNOWN = ""  # the environment of an event that did not say (older rows included)
# Verdict-type figures (rollouts, experiments, per-version KPIs) default to the users' traffic.
DEFAULT_VERDICT_ENVIRONMENT: Environment = "production"
# Figures asked for "all" environments include UNKNOWN; an environment name selects exactly it.
ALL = "all"
EnvironmentScope = Literal["development", "staging", "production", "all"]
if set(get_args(EnvironmentScope)) != {*ENVIRONMENTS, ALL}:  # pragma: no cover
    raise RuntimeError("EnvironmentScope and ENVIRONMENTS disagree")


def environment_of(value: str) -> str:
    """A recorded environment: one of :data:`ENVIRONMENTS` or :data:`UNKNOWN`; anything else is a
    ``ValueError`` with the words that are known."""
    cleaned = value.strip().lower()
    if cleaned != UNKNOWN and cleaned not in ENVIRONMENTS:
        raise ValueError(f"unknown environment '{value}'; known: {', '.join(ENVIRONMENTS)}")
    return cleaned
