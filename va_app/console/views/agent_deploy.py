"""The deploy dialog of an agent: version, environment, strategy (all, canary %, gradual schedule)."""

from __future__ import annotations

import reflex as rx

from va_app.console.components.agents import labelled
from va_app.console.components.panels import error_callout
from va_app.console.states.agent_deploy import AgentDeployState


def deploy_dialog() -> rx.Component:
    """Refusals (permission, promotion order) are explained in the dialog; the server decides."""
    d = AgentDeployState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Deploy a version"),
            rx.dialog.description(
                "Environments go development → staging → production; a version must serve all of one before the next.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    rx.grid(
                        labelled(
                            "Version",
                            rx.select(
                                d.version_options,
                                value=d.deploy_version,
                                on_change=d.set_deploy_version,
                                id="deploy-version",
                                width="100%",
                            ),
                        ),
                        labelled(
                            "Environment",
                            rx.select(
                                d.environment_options,
                                value=d.deploy_env,
                                on_change=d.set_deploy_env,
                                id="deploy-env",
                                width="100%",
                            ),
                        ),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    labelled(
                        "Strategy",
                        rx.segmented_control.root(
                            rx.segmented_control.item("All at once", value="all"),
                            rx.segmented_control.item("Canary", value="canary"),
                            rx.segmented_control.item("Gradual", value="gradual"),
                            value=d.strategy,
                            on_change=d.set_strategy,
                            width="100%",
                        ),
                    ),
                    rx.text(d.strategy_help, size="1", color=rx.color("gray", 10)),
                    rx.match(
                        d.strategy,
                        (
                            "canary",
                            labelled(
                                "Canary share (%)",
                                rx.input(value=d.canary_percent, on_change=d.set_canary_percent, type="number"),
                            ),
                        ),
                        (
                            "gradual",
                            rx.vstack(
                                rx.grid(
                                    labelled(
                                        "Steps (% of traffic)",
                                        rx.input(
                                            value=d.schedule_text,
                                            on_change=d.set_schedule_text,
                                            name="schedule",
                                            placeholder="5, 25, 50, 100",
                                        ),
                                    ),
                                    labelled(
                                        "Hold per step (minutes)",
                                        rx.input(value=d.hold_minutes, on_change=d.set_hold_minutes, type="number"),
                                    ),
                                    columns="2",
                                    spacing="3",
                                    width="100%",
                                ),
                                rx.hstack(
                                    rx.foreach(
                                        d.schedule_preview,
                                        lambda step: rx.badge(step, variant="surface", color_scheme="amber"),
                                    ),
                                    spacing="1",
                                    wrap="wrap",
                                    class_name="schedule-preview",
                                ),
                                spacing="2",
                                width="100%",
                            ),
                        ),
                        rx.fragment(),
                    ),
                    labelled("Why (in the history)", rx.input(name="reason", placeholder="e.g. shorter answers")),
                    rx.cond(
                        d.deploy_blocked != "",
                        rx.callout(d.deploy_blocked, icon="lock", color_scheme="amber", size="1", width="100%"),
                    ),
                    error_callout(d.deploy_error),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button(
                            rx.icon("rocket", size=14),
                            "Deploy",
                            type="submit",
                            loading=d.deploying,
                            disabled=d.deploy_blocked != "",
                        ),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=d.submit_deploy,
                width="100%",
            ),
            max_width="34rem",
        ),
        open=d.deploy_open,
        on_open_change=d.set_deploy_open,
    )
