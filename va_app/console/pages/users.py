"""Users & roles: the tenant's members, their roles and 2FA, invitations and removals."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import confirm_dialog, empty_row, error_callout, one_time_secret, role_badge
from va_app.console.states.users import ROLES, MemberRow, UsersState
from va_app.console.template import template

COLUMNS = 6


def _role_cell(row: ObjectVar[MemberRow]) -> rx.Component:
    """A select for writers (roles above one's own are disabled), a badge for readers."""
    return rx.cond(
        UsersState.can_write,
        rx.select.root(
            rx.select.trigger(variant="soft", class_name="role-select"),
            rx.select.content(
                *[
                    rx.select.item(role, value=role, disabled=~UsersState.assignable_roles.contains(role))
                    for role in ROLES
                ]
            ),
            value=row["role"].to(str),
            on_change=lambda value: UsersState.change_role(row["user_id"].to(str), value),  # type: ignore[operator]
            size="1",
        ),
        role_badge(row["role"].to(str)),
    )


def _two_factor(on: rx.Var[bool]) -> rx.Component:
    return rx.cond(
        on,
        rx.badge(rx.icon("shield-check", size=12), "on", color_scheme="grass", variant="soft"),
        rx.badge("off", color_scheme="gray", variant="outline"),
    )


def _member_row(row: ObjectVar[MemberRow]) -> rx.Component:
    is_me = row["email"].to(str) == UsersState.user_email
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.text(row["email"], size="2", weight="medium"),
                rx.cond(is_me, rx.badge("you", variant="outline", size="1")),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(rx.text(row["full_name"], size="2", color=rx.color("gray", 11))),
        rx.table.cell(_role_cell(row)),
        rx.table.cell(_two_factor(row["totp_enabled"].to(bool))),
        rx.table.cell(rx.text(row["last_login"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                UsersState.can_write & ~is_me,
                rx.icon_button(
                    rx.icon("user-minus", size=16),
                    variant="ghost",
                    color_scheme="tomato",
                    aria_label="Remove member",
                    title="Remove from tenant",
                    on_click=UsersState.ask_remove(row["user_id"].to(str), row["email"].to(str)),  # type: ignore[operator]
                ),
            ),
            text_align="right",
        ),
        align="center",
        class_name="member-row",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(h) for h in ("Email", "Name", "Role", "2FA", "Last login", "")],
                )
            ),
            rx.table.body(
                rx.cond(
                    UsersState.members.length() > 0,
                    rx.foreach(UsersState.members, _member_row),
                    empty_row(COLUMNS, "No members yet."),
                )
            ),
            variant="ghost",
            size="2",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.vstack(
                rx.text("Email", size="2", weight="medium"),
                rx.input(name="email", type="email", placeholder="name@company.com", width="100%"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                rx.text("Name (optional)", size="2", weight="medium"),
                rx.input(name="full_name", width="100%"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                rx.text("Role", size="2", weight="medium"),
                rx.select(
                    UsersState.assignable_roles,
                    value=UsersState.invite_role,
                    on_change=UsersState.set_invite_role,
                    width="100%",
                ),
                spacing="1",
                width="100%",
            ),
            error_callout(UsersState.invite_error),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Invite", type="submit"),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=UsersState.invite,
        width="100%",
    )


def _invite_result() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.text(rx.text.strong(UsersState.invited_email), " was added. Send them the temporary password."),
            icon="circle-check",
            color_scheme="grass",
            width="100%",
        ),
        one_time_secret(
            "Temporary password",
            UsersState.temporary_password,
            "This password is shown only once. Ask the user to change it on the Account page after signing in.",
            "temporary-password",
        ),
        rx.hstack(rx.dialog.close(rx.button("Done")), justify="end", width="100%"),
        spacing="3",
        width="100%",
    )


def _invite_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Invite a member"),
            rx.dialog.description(
                "They join this tenant with the role you pick. You cannot grant a role above your own.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.cond(UsersState.temporary_password != "", _invite_result(), _invite_form()),
            max_width="32rem",
        ),
        open=UsersState.invite_open,
        on_open_change=UsersState.set_invite_open,
    )


@template(
    route=routes.USERS,
    title="Users & roles",
    description="Members of this tenant, their roles and two-factor status.",
    on_load=UsersState.load,
)
def users() -> rx.Component:
    """Toolbar (count, invite), the members table, and the invite and remove dialogs."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Members", size="4"),
                rx.text(
                    UsersState.members.length().to_string(),
                    " people can sign in to this tenant. Roles decide what each may see and change.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                UsersState.can_write,
                rx.button(rx.icon("user-plus", size=14), "Invite member", on_click=UsersState.set_invite_open(True)),  # type: ignore[operator]
            ),
            align="end",
            width="100%",
        ),
        rx.cond(
            UsersState.load_error != "",
            rx.callout(UsersState.load_error, icon="lock", color_scheme="amber", width="100%"),
            rx.cond(UsersState.loaded, _table(), rx.skeleton(rx.card(height="12rem", width="100%"))),
        ),
        _invite_dialog(),
        confirm_dialog(
            UsersState.remove_open,
            "Remove member?",
            rx.text(
                rx.text.strong(UsersState.remove_email),
                " loses access to this tenant at once. Their user account and other tenants are not affected.",
            ),
            "Remove",
            UsersState.confirm_remove,
            UsersState.cancel_remove,
        ),
        spacing="4",
        width="100%",
    )
