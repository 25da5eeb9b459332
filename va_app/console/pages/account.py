"""Account: who you are signed in as, two-factor authentication and your password."""

from __future__ import annotations

import reflex as rx

from va_app.console import routes
from va_app.console.components.panels import confirm_dialog, error_callout, role_badge, section_card
from va_app.console.states.account import AccountState
from va_app.console.template import template


def _fact(label: str, value: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
        value,
        spacing="1",
    )


def _profile() -> rx.Component:
    return section_card(
        "Profile",
        "The user and tenant of this session.",
        "user-round",
        rx.grid(
            _fact("Email", rx.text(AccountState.user_email, size="2", weight="medium")),
            _fact("Role", role_badge(AccountState.role)),
            _fact(
                "Tenant",
                rx.text(AccountState.tenant_name, " (", AccountState.tenant_slug, ")", size="2", weight="medium"),
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
    )


def _status_badge() -> rx.Component:
    return rx.cond(
        AccountState.totp_enabled,
        rx.badge(rx.icon("shield-check", size=12), "On", color_scheme="grass", variant="soft", class_name="totp-on"),
        rx.badge(rx.icon("shield-off", size=12), "Off", color_scheme="gray", variant="soft", class_name="totp-off"),
    )


def _recovery_codes() -> rx.Component:
    return rx.vstack(
        rx.callout(
            "Save these recovery codes somewhere safe. Each signs you in once if you lose your device. "
            "They are shown only now.",
            icon="triangle-alert",
            color_scheme="amber",
            width="100%",
        ),
        rx.grid(
            rx.foreach(
                AccountState.recovery_codes,
                lambda code: rx.code(code, size="3", variant="soft", class_name="recovery-code", text_align="center"),
            ),
            columns=rx.breakpoints(initial="2", sm="5"),
            spacing="2",
            width="100%",
        ),
        rx.hstack(
            rx.button(
                rx.icon("copy", size=14),
                "Copy codes",
                on_click=[rx.set_clipboard(AccountState.recovery_text), rx.toast.info("Copied to the clipboard.")],
                variant="soft",
            ),
            rx.button("I have saved them", on_click=AccountState.dismiss_codes),
            spacing="3",
        ),
        spacing="3",
        width="100%",
    )


def _enrolment() -> rx.Component:
    return rx.flex(
        rx.box(
            rx.image(src=AccountState.enrol_qr, alt="QR code for your authenticator app", width="12rem"),
            padding="0.75rem",
            background="white",
            border=f"1px solid {rx.color('gray', 5)}",
            border_radius="var(--radius-3)",
        ),
        rx.vstack(
            rx.text(
                "1. Scan the QR code with an authenticator app (or type the secret below).",
                size="2",
            ),
            rx.code(AccountState.enrol_secret, size="3", variant="soft", class_name="totp-secret"),
            rx.text("2. Enter the 6-digit code the app shows to turn two-factor on.", size="2"),
            rx.form(
                rx.hstack(
                    rx.input(
                        name="code",
                        placeholder="123456",
                        max_length=6,
                        auto_complete="one-time-code",
                        input_mode="numeric",
                        width="9rem",
                        class_name="totp-code",
                    ),
                    rx.button("Turn on", type="submit"),
                    rx.button(
                        "Cancel",
                        type="button",
                        variant="soft",
                        color_scheme="gray",
                        on_click=AccountState.cancel_enrolment,
                    ),
                    spacing="2",
                ),
                on_submit=AccountState.confirm_enrolment,
                reset_on_submit=True,
            ),
            error_callout(AccountState.totp_error),
            spacing="3",
            min_width="0",
            flex="1",
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        spacing="5",
        width="100%",
    )


def _two_factor() -> rx.Component:
    return section_card(
        "Two-factor authentication",
        "A code from an authenticator app on every sign-in, besides your password.",
        "smartphone",
        rx.hstack(rx.text("Status", size="2", weight="medium"), _status_badge(), align="center", spacing="2"),
        rx.cond(
            AccountState.recovery_codes.length() > 0,
            _recovery_codes(),
            rx.cond(
                AccountState.enrolling,
                _enrolment(),
                rx.cond(
                    AccountState.totp_enabled,
                    rx.button(
                        rx.icon("shield-off", size=14),
                        "Turn off two-factor",
                        color_scheme="tomato",
                        variant="soft",
                        on_click=AccountState.set_confirm_disable(True),  # type: ignore[operator]
                        width="fit-content",
                    ),
                    rx.button(
                        rx.icon("qr-code", size=14),
                        "Set up two-factor",
                        on_click=AccountState.start_enrolment,
                        width="fit-content",
                    ),
                ),
            ),
        ),
        confirm_dialog(
            AccountState.confirm_disable,
            "Turn off two-factor?",
            rx.text("Signing in will need only your password. Your recovery codes stop working."),
            "Turn off",
            AccountState.disable,
            AccountState.set_confirm_disable(False),  # type: ignore[operator]
        ),
    )


def _password() -> rx.Component:
    def field(label: str, name: str, auto_complete: str) -> rx.Component:
        return rx.vstack(
            rx.text(label, size="2", weight="medium"),
            rx.input(name=name, type="password", auto_complete=auto_complete, width="100%"),
            spacing="1",
            width="100%",
        )

    return section_card(
        "Password",
        "At least 10 characters. Other sessions stay signed in.",
        "key-round",
        rx.form(
            rx.vstack(
                rx.grid(
                    field("Current password", "current", "current-password"),
                    field("New password", "new", "new-password"),
                    field("New password, again", "again", "new-password"),
                    columns=rx.breakpoints(initial="1", md="3"),
                    spacing="3",
                    width="100%",
                ),
                error_callout(AccountState.password_error),
                rx.button("Change password", type="submit", width="fit-content"),
                spacing="3",
                width="100%",
            ),
            on_submit=AccountState.submit_password,
            reset_on_submit=True,
            width="100%",
        ),
    )


@template(
    route=routes.ACCOUNT,
    title="Account",
    description="Your profile, two-factor authentication and password.",
    on_load=AccountState.open_page,
)
def account() -> rx.Component:
    """Profile facts, then two-factor, then the password form."""
    return rx.vstack(_profile(), _two_factor(), _password(), spacing="5", width="100%")
