"""The layering the folders promise: no import cycle between our packages.

import-linter (run by ``make test`` before pytest) checks the declared layers and forbidden
imports; this test adds the general rule that no two packages import each other through any
chain, and names the packages when one appears (``python tools/import_cycles.py`` prints the
same report).
"""

from __future__ import annotations

from tools.import_cycles import package_cycles, strongly_connected, unit_of


def test_no_import_cycle_between_packages() -> None:
    assert package_cycles() == []


def test_cycle_finder_finds_a_cycle_through_a_third_package() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(edges) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_units_are_capabilities_and_console_layers() -> None:
    assert unit_of("va_app.domain.agents.resolver") == "va_app.domain.agents"
    assert unit_of("va_app.console.states.analytics") == "va_app.console.states"
    assert unit_of("va_app.api.routes.agents") == "va_app.api"
    assert unit_of("analytics.queries.metrics") == "analytics"
