"""Context bounds: old turns are folded into a bounded summary; the newest turn always stays."""

from __future__ import annotations

from va_app.domain.conversations.context import ContextTurn, ConversationState, estimate_tokens, truncate


def _state(pairs: int, words: int = 30) -> ConversationState:
    turns: list[ContextTurn] = []
    for i in range(pairs):
        turns.append(ContextTurn("user", f"question {i} " + "word " * words))
        turns.append(ContextTurn("assistant", f"answer {i} " + "text " * words))
    return ConversationState(turns=turns)


def test_short_context_is_untouched() -> None:
    state = truncate(_state(2), max_tokens=2000, max_turns=20)
    assert len(state.turns) == 4 and state.summary == ""


def test_token_bound_folds_oldest_turns_into_summary() -> None:
    state = truncate(_state(20), max_tokens=600, max_turns=100)
    assert state.tokens() <= 600
    assert state.turns[-1].content.startswith("answer 19")
    assert state.turns[0].role == "user"  # folded in question/answer pairs
    assert "question" in state.summary
    assert estimate_tokens(state.summary) <= 600 // 4
    # the newest summary lines are the most recent folded turns
    assert state.summary.splitlines()[-1].startswith("- user: question")


def test_turn_bound() -> None:
    state = truncate(_state(10, words=2), max_tokens=100_000, max_turns=6)
    assert len(state.turns) == 6
    assert state.turns[0].content.startswith("question 7")
    assert len(state.summary.splitlines()) == 7


def test_a_huge_last_message_is_cut_to_the_budget() -> None:
    state = ConversationState(turns=[ContextTurn("user", "x" * 40_000)])
    truncate(state, max_tokens=500, max_turns=20)
    assert len(state.turns) == 1 and state.turns[0].tokens <= 500


def test_state_round_trips_through_json() -> None:
    state = _state(2)
    state.summary, state.failed_turns, state.user_id = "- earlier", 1, "u-1"
    back = ConversationState.from_json(state.to_json())
    assert back == state
    assert [m.role for m in back.messages()] == ["user", "assistant", "user", "assistant"]
