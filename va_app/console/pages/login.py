"""Login: email and password, then a 6-digit code (or a recovery code) when two-factor is on."""

from __future__ import annotations

import reflex as rx

from va_app.console import routes
from va_app.console.states.login import CODE_STEP, LoginState
from va_app.console.template import template


def _brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("bot", size=22, color="white"),
            width="2.5rem",
            height="2.5rem",
            border_radius="var(--radius-3)",
            background=rx.color("accent", 9),
        ),
        rx.vstack(
            rx.text("VirtualAgent", size="4", weight="bold", line_height="1.1"),
            rx.text("Operator console", size="1", color=rx.color("gray", 10)),
            spacing="0",
        ),
        align="center",
        spacing="3",
    )


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field(
                "Email",
                rx.input(
                    name="email", type="email", placeholder="you@company.com", auto_focus=True, size="3", width="100%"
                ),
            ),
            _field("Password", rx.input(name="password", type="password", size="3", width="100%")),
            rx.accordion.root(
                rx.accordion.item(
                    header=rx.text("Member of several tenants?", size="2", color=rx.color("gray", 11)),
                    content=_field(
                        "Tenant slug (optional)",
                        rx.input(name="tenant", placeholder="e.g. acme", size="2", width="100%"),
                    ),
                    value="tenant",
                ),
                type="single",
                collapsible=True,
                variant="ghost",
                width="100%",
            ),
            # Enabled once the page's on_load ran: a submit that overtakes it would have its error
            # wiped by the on_load's reset (seen on a busy machine).
            rx.button(
                "Sign in",
                type="submit",
                size="3",
                width="100%",
                loading=LoginState.busy,
                disabled=~rx.State.is_hydrated,
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=LoginState.submit_password,
        width="100%",
    )


def _code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.callout(
                rx.text(
                    "Two-factor authentication is on for ",
                    rx.text.strong(LoginState.email),
                    ". Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
                ),
                icon="smartphone",
                color_scheme="indigo",
                variant="surface",
                width="100%",
            ),
            _field(
                "Authentication code",
                rx.input(
                    name="code",
                    placeholder="123456",
                    auto_complete="one-time-code",
                    input_mode="text",
                    max_length=32,
                    auto_focus=True,
                    size="3",
                    width="100%",
                    font_family="var(--code-font-family)",
                    letter_spacing="0.2em",
                ),
            ),
            rx.button("Verify", type="submit", size="3", width="100%", loading=LoginState.busy),
            rx.button(
                rx.icon("arrow-left", size=14),
                "Use another account",
                type="button",
                variant="ghost",
                size="2",
                on_click=LoginState.back_to_password,
            ),
            spacing="4",
            width="100%",
            align="center",
        ),
        on_submit=LoginState.submit_code,
        reset_on_submit=True,
        width="100%",
    )


@template(
    route=routes.LOGIN,
    title="Sign in",
    description="Sign in to the VirtualAgent console.",
    on_load=LoginState.open_page,
    requires_login=False,
    framed=False,
)
def login_page() -> rx.Component:
    """A centred card: notice (why you are here), error, then the current step's form."""
    return rx.center(
        rx.vstack(
            _brand(),
            rx.card(
                rx.vstack(
                    rx.heading(
                        rx.cond(LoginState.step == CODE_STEP, "Two-factor check", "Sign in"),
                        size="6",
                        weight="bold",
                    ),
                    rx.cond(
                        (LoginState.auth_notice != "") & (LoginState.error == ""),
                        rx.callout(
                            LoginState.auth_notice,
                            icon="info",
                            color_scheme="gray",
                            size="1",
                            width="100%",
                            class_name="login-notice",
                        ),
                    ),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(
                            LoginState.error,
                            icon="circle-alert",
                            color_scheme="tomato",
                            size="1",
                            width="100%",
                            class_name="login-error",
                        ),
                    ),
                    rx.cond(LoginState.step == CODE_STEP, _code_form(), _password_form()),
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="100%",
            ),
            rx.text(
                "Sessions end after 8 hours without activity.",
                size="1",
                color=rx.color("gray", 10),
            ),
            spacing="5",
            align="center",
            width="100%",
            max_width="26rem",
        ),
        min_height="100vh",
        padding="1.5rem",
        background=rx.color("gray", 2),
    )
