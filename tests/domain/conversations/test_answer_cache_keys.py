"""Cache keys: the same question maps to one key; tenants, agents, versions and contexts never share one."""

from __future__ import annotations

import itertools
import uuid

from va_app.domain.conversations.cache import context_scope, exact_key, is_standalone, normalise


def test_normalisation_ignores_case_punctuation_and_spacing() -> None:
    assert normalise("  What time is CHECK-IN?? ") == normalise("what time is check in")
    assert exact_key("t", "a", 1, "What time is check-in?") == exact_key("t", "a", 1, "what time is  check in")


def test_keys_never_collide_across_tenant_agent_version_or_scope() -> None:
    tenants = [uuid.uuid4() for _ in range(3)]
    agents = [str(uuid.uuid4()) for _ in range(3)]
    keys = {
        exact_key(t, a, v, "what time is breakfast", scope)
        for t, a, v, scope in itertools.product(tenants, agents, (1, 2, 3), ("", "abc"))
    }
    assert len(keys) == 3 * 3 * 3 * 2


def test_key_names_its_partition_in_clear() -> None:
    tenant, agent = uuid.uuid4(), str(uuid.uuid4())
    key = exact_key(tenant, agent, 7, "hello there friend")
    assert key.startswith(f"va:chatcache:x:{tenant}:{agent}:7:")


def test_follow_up_questions_are_scoped_to_the_previous_answer() -> None:
    assert is_standalone("What time is breakfast served?")
    assert not is_standalone("Is it free?")
    assert not is_standalone("and on Sundays?")
    assert not is_standalone("what about parking")
    assert context_scope("What time is breakfast served?", "Earlier answer") == ""
    assert context_scope("Is it free?", "") == ""  # a first turn has nothing to refer to
    one, two = context_scope("Is it free?", "Parking costs 20 EUR."), context_scope("Is it free?", "The spa is open.")
    assert one and two and one != two
