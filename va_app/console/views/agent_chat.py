"""The "Try it" tab of an agent: pick an environment, chat, and read how each answer was made.

Each turn shows the user's message, the reply and small badges (version, model, cache kind,
latency, cost, outcome) so an operator sees what a user would get and what it cost; a handoff
and the knowledge sources are spelled out under the reply.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console.components.agents import labelled
from va_app.console.states.agent_chat import INPUT_ID, AgentChatState, ChatTurn
from va_app.domain.agents.resolver import ENVIRONMENTS

OUTCOME_COLORS = {"answered": "grass", "unanswered": "gray", "handoff": "amber", "blocked": "orange", "error": "tomato"}
MAX_MESSAGE_CHARS = 8000  # the API's limit; the runtime checks its own setting again


def _badge(
    text: rx.Var[str], class_name: str, hint: str, color_scheme: str = "gray", icon: str | None = None
) -> rx.Component:
    """A small badge that is there only when the runtime reported the value; ``hint`` says what it is on hover."""
    children = [rx.icon(icon, size=11), text] if icon else [text]
    return rx.cond(
        text != "",
        rx.badge(
            *children,
            size="1",
            variant="soft",
            color_scheme=color_scheme,
            class_name=class_name,
            custom_attrs={"title": hint},
        ),
    )


def _outcome_badge(outcome: rx.Var[str]) -> rx.Component:
    return rx.match(
        outcome,
        *[
            (k, rx.badge(k, size="1", color_scheme=c, variant="solid", class_name="chat-outcome"))
            for k, c in OUTCOME_COLORS.items()
        ],
        rx.fragment(),
    )


def _bubble(*children: rx.Component, mine: bool) -> rx.Component:
    """The user's words on the right in the accent colour, the agent's on the left in gray."""
    return rx.box(
        *children,
        background=rx.color("accent", 3) if mine else rx.color("gray", 3),
        padding="0.6rem 0.85rem",
        border_radius="var(--radius-4)",
        max_width="46rem",
        white_space="pre-wrap",
        align_self="flex-end" if mine else "flex-start",
    )


def _turn(turn: ObjectVar[ChatTurn]) -> rx.Component:
    error = turn["error"].to(str)
    handoff = turn["handoff"].to(str)
    sources = turn["sources"].to(list[str])
    return rx.vstack(
        _bubble(rx.text(turn["message"].to(str), size="2", class_name="chat-message"), mine=True),
        rx.cond(
            turn["pending"].to(bool),
            _bubble(
                rx.hstack(rx.spinner(size="1"), rx.text("Thinking…", size="2"), align="center", spacing="2"),
                mine=False,
            ),
            rx.cond(
                error != "",
                rx.callout(error, icon="circle-alert", color_scheme="tomato", size="1", class_name="chat-error"),
                _bubble(rx.text(turn["reply"].to(str), size="2", class_name="chat-reply"), mine=False),
            ),
        ),
        rx.cond(
            handoff != "",
            rx.callout(handoff, icon="headset", color_scheme="amber", size="1", class_name="chat-handoff"),
        ),
        rx.hstack(
            _outcome_badge(turn["outcome"].to(str)),
            _badge(turn["version"].to(str), "chat-version", "agent version that answered", "indigo"),
            _badge(turn["model"].to(str), "chat-model", "model", icon="cpu"),
            _badge(turn["cache"].to(str), "chat-cache", "answer cache: none, exact or semantic", icon="database-zap"),
            _badge(turn["latency"].to(str), "chat-latency", "latency of the turn", icon="timer"),
            _badge(turn["cost"].to(str), "chat-cost", "cost in USD", icon="coins"),
            spacing="1",
            wrap="wrap",
            align="center",
        ),
        rx.cond(
            sources.length() > 0,
            rx.hstack(
                rx.text("Sources", size="1", color=rx.color("gray", 10)),
                rx.foreach(
                    sources,
                    lambda s: rx.badge(
                        rx.icon("file-text", size=11), s, size="1", variant="outline", class_name="chat-source"
                    ),
                ),
                spacing="1",
                wrap="wrap",
                align="center",
            ),
        ),
        spacing="2",
        width="100%",
        class_name="chat-turn",
    )


def _environment_picker() -> rx.Component:
    """All three environments; those with nothing deployed are listed but cannot be picked."""
    c = AgentChatState
    return rx.select.root(
        rx.select.trigger(id="chat-env", min_width="14rem"),
        rx.select.content(
            *[
                rx.select.item(
                    c.env_labels[env],
                    value=env,
                    disabled=~c.served_environments.contains(env),
                )
                for env in ENVIRONMENTS
            ]
        ),
        value=c.chat_env,
        on_change=c.set_chat_env,
        disabled=c.sending,
    )


def _composer() -> rx.Component:
    """Enter or Send submits; the field keeps its text if a turn is still in flight."""
    c = AgentChatState
    return rx.form(
        rx.hstack(
            rx.input(
                name="message",
                id=INPUT_ID,
                placeholder="Ask what a guest would ask, e.g. “What time is check-out?”",
                max_length=MAX_MESSAGE_CHARS,
                auto_complete="off",
                size="3",
                flex="1",
            ),
            rx.button(rx.icon("send-horizontal", size=16), "Send", type="submit", size="3", loading=c.sending),
            spacing="2",
            width="100%",
        ),
        on_submit=c.send,
        reset_on_submit=False,
        width="100%",
    )


def try_it_tab() -> rx.Component:
    """Environment and conversation controls, the transcript, then the message field."""
    c = AgentChatState
    return rx.vstack(
        rx.text(
            "Talk to the agent through the real runtime: the deployed version, its knowledge, caches and "
            "guardrails. Turns count in analytics under the channel “console”.",
            size="2",
            color=rx.color("gray", 11),
        ),
        rx.card(
            rx.vstack(
                rx.hstack(
                    labelled("Environment", _environment_picker()),
                    rx.vstack(
                        rx.text("Conversation", size="2", weight="medium"),
                        rx.code(c.conversation_id, variant="soft", color_scheme="gray", class_name="chat-conversation"),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.button(
                        rx.icon("rotate-ccw", size=14),
                        "New conversation",
                        variant="soft",
                        color_scheme="gray",
                        on_click=c.new_conversation,
                    ),
                    align="end",
                    spacing="4",
                    width="100%",
                ),
                rx.text(
                    "Changing the environment starts a new conversation: context and version pins belong to one.",
                    size="1",
                    color=rx.color("gray", 10),
                ),
                rx.divider(),
                rx.cond(
                    c.turns.length() > 0,
                    rx.vstack(rx.foreach(c.turns, _turn), spacing="5", width="100%", class_name="chat-transcript"),
                    rx.center(
                        rx.text("No messages yet. Ask something below.", size="2", color=rx.color("gray", 10)),
                        padding="2rem",
                        width="100%",
                        class_name="chat-empty",
                    ),
                ),
                _composer(),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )
