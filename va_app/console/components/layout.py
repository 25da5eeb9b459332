"""The console frame: a sidebar with the working sections and a header per page.

The sidebar lists only the sections the signed-in role may open, and the header says who is
signed in. Hiding is a courtesy: every page's services check the permission again.
"""

from __future__ import annotations

import reflex as rx

from va_app.console import routes
from va_app.console.states.auth import AuthState

SIDEBAR_WIDTH = "15rem"


def _nav_link(item: routes.NavItem) -> rx.Component:
    """A sidebar entry, highlighted on its route and on the pages below it (an agent's detail
    page lights up "Agents")."""
    path = rx.State.router.url.path
    active = (path == item.route) if item.route == routes.OVERVIEW else path.startswith(item.route)
    return rx.link(
        rx.hstack(
            rx.icon(item.icon, size=18),
            rx.text(item.label, size="2", weight="medium"),
            align="center",
            spacing="3",
            padding_x="0.75rem",
            padding_y="0.5rem",
            border_radius="var(--radius-3)",
            width="100%",
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
            background=rx.cond(active, rx.color("accent", 3), "transparent"),
            _hover={"background": rx.color("gray", 3), "color": rx.color("gray", 12)},
        ),
        href=item.route,
        underline="none",
        width="100%",
    )


def _permitted_link(item: routes.NavItem) -> rx.Component:
    """The entry, shown only when the signed-in role holds the item's permission."""
    if item.permission is None:
        return _nav_link(item)
    return rx.cond(AuthState.permissions.contains(item.permission), _nav_link(item))


def sidebar() -> rx.Component:
    """Brand and navigation; the entries come from ``routes.NAV`` only."""
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.icon("bot", size=20, color="white"),
                    width="2rem",
                    height="2rem",
                    border_radius="var(--radius-3)",
                    background=rx.color("accent", 9),
                ),
                rx.vstack(
                    rx.text("VirtualAgent", size="3", weight="bold", line_height="1.1"),
                    rx.text("Operator console", size="1", color=rx.color("gray", 10)),
                    spacing="0",
                ),
                align="center",
                spacing="3",
                padding_x="0.5rem",
                padding_bottom="1.25rem",
            ),
            *[_permitted_link(item) for item in routes.NAV],
            spacing="1",
            width="100%",
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="1.25rem 0.75rem",
        background=rx.color("gray", 2),
        border_right=f"1px solid {rx.color('gray', 5)}",
        display=["none", "none", "block"],
    )


def user_menu() -> rx.Component:
    """Who is signed in (email, role, tenant) and the sign-out button."""
    return rx.cond(
        AuthState.signed_in,
        rx.hstack(
            rx.avatar(fallback=AuthState.user_initial, size="2", radius="full", variant="soft"),
            rx.vstack(
                rx.text(AuthState.user_email, size="2", weight="medium", class_name="user-email"),
                rx.hstack(
                    rx.badge(AuthState.role, variant="soft", size="1", class_name="user-role"),
                    rx.text(AuthState.tenant_name, size="1", color=rx.color("gray", 10)),
                    align="center",
                    spacing="2",
                ),
                spacing="0",
                align="start",
            ),
            rx.button(
                rx.icon("log-out", size=14),
                "Sign out",
                on_click=AuthState.sign_out,
                variant="soft",
                color_scheme="gray",
                size="2",
            ),
            align="center",
            spacing="3",
        ),
    )


def header(title: str) -> rx.Component:
    """The page title and the signed-in user, kept visible while the content scrolls."""
    return rx.hstack(
        rx.heading(title, size="6", weight="bold"),
        rx.spacer(),
        user_menu(),
        align="center",
        width="100%",
        padding_x="2rem",
        padding_y="1rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
    )


def shell(title: str, content: rx.Component) -> rx.Component:
    """Sidebar, header and the page content in a scrolling main column."""
    return rx.hstack(
        sidebar(),
        rx.box(
            header(title),
            rx.box(content, padding="2rem", max_width="80rem", width="100%"),
            width="100%",
            min_height="100vh",
            background=rx.color("gray", 1),
        ),
        spacing="0",
        align="start",
        width="100%",
    )
