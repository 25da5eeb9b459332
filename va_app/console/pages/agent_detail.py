"""One agent: environments and rollouts, versions with diffs, A/B experiments and a test chat, in four tabs."""

from __future__ import annotations

import reflex as rx

from va_app.console import routes
from va_app.console.states.agent_chat import AgentChatState
from va_app.console.states.agent_deploy import AgentDeployState
from va_app.console.states.agent_detail import AgentDetailState
from va_app.console.states.agent_experiments import AgentExperimentsState
from va_app.console.states.agent_timeline import AgentTimelineState
from va_app.console.states.agent_versions import AgentVersionsState
from va_app.console.template import template
from va_app.console.views.agent_chat import try_it_tab
from va_app.console.views.agent_deploy import deploy_dialog
from va_app.console.views.agent_experiments import experiments_tab
from va_app.console.views.agent_rollouts import deployments_tab, rollback_confirm
from va_app.console.views.agent_versions import versions_tab


def _header() -> rx.Component:
    s = AgentDetailState
    return rx.hstack(
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Agents", size="2"), align="center", spacing="1"),
                href=routes.AGENTS,
                color=rx.color("gray", 11),
            ),
            rx.hstack(
                rx.heading(s.name, size="6", class_name="agent-name"),
                rx.code(s.slug, variant="soft", color_scheme="gray"),
                rx.cond(s.brand != "", rx.badge(s.brand, variant="surface")),
                rx.cond(s.archived, rx.badge("archived", color_scheme="gray", variant="outline")),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.text(s.description, size="2", color=rx.color("gray", 11), max_width="52rem"),
            rx.hstack(
                rx.badge("latest v" + s.latest_version.to_string(), color_scheme="indigo", variant="soft"),
                rx.foreach(s.channels, lambda c: rx.badge(c, color_scheme="gray", variant="outline")),
                rx.cond(s.template != "", rx.text("from template " + s.template, size="1", color=rx.color("gray", 10))),
                spacing="1",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
        ),
        rx.spacer(),
        rx.cond(
            s.can_write & ~s.archived,
            rx.link(
                rx.button(rx.icon("file-pen-line", size=14), "New version", variant="soft"),
                href="/agents/" + s.slug + "/versions/new",
            ),
        ),
        rx.cond(
            s.can_deploy & ~s.archived,
            rx.button(rx.icon("rocket", size=14), "Deploy", on_click=AgentDeployState.open_deploy("development")),  # type: ignore[operator]
        ),
        align="start",
        spacing="3",
        width="100%",
    )


@template(
    route=routes.AGENT_DETAIL,
    title="Agent",
    description="One agent: environments, rollouts, versions, experiments and a test chat.",
    on_load=[
        AgentDetailState.load,
        AgentVersionsState.load_versions,
        AgentExperimentsState.load_experiments,
        AgentTimelineState.load_kpis,
        AgentChatState.reset_chat,
    ],
)
def agent_detail() -> rx.Component:
    """Header with the main actions, then the four tabs and the page's dialogs."""
    s = AgentDetailState
    return rx.cond(
        s.load_error != "",
        rx.callout(s.load_error, icon="circle-alert", color_scheme="amber", width="100%"),
        rx.cond(
            s.loaded,
            rx.vstack(
                _header(),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Deployments", value="deployments"),
                        rx.tabs.trigger("Versions", value="versions"),
                        rx.tabs.trigger("Experiments", value="experiments"),
                        rx.tabs.trigger("Try it", value="try"),
                    ),
                    rx.tabs.content(deployments_tab(), value="deployments", padding_top="1rem"),
                    rx.tabs.content(versions_tab(), value="versions", padding_top="1rem"),
                    rx.tabs.content(experiments_tab(), value="experiments", padding_top="1rem"),
                    rx.tabs.content(try_it_tab(), value="try", padding_top="1rem"),
                    value=s.tab,
                    on_change=s.set_tab,
                    width="100%",
                ),
                deploy_dialog(),
                rollback_confirm(),
                spacing="4",
                width="100%",
            ),
            rx.skeleton(rx.card(height="20rem", width="100%")),
        ),
    )
