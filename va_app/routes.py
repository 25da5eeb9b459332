"""Every console route string, and the navigation built from them.

Pages, the sidebar and the states import routes from here so a path is spelled once. The
sidebar shows exactly the sections in ``NAV``: a section is added to the console by adding
its page module and one ``NavItem`` line, and nothing that does not work yet is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

OVERVIEW = "/"


@dataclass(frozen=True, slots=True)
class NavItem:
    """One sidebar entry: a label, the route it opens and a lucide icon name."""

    label: str
    route: str
    icon: str


NAV: tuple[NavItem, ...] = (NavItem("Overview", OVERVIEW, "layout-dashboard"),)
