"""The intent classifier (embedding centroids and keywords) and the handoff/blocked-topic rules."""

from __future__ import annotations

import pytest

from core.embeddings import DEFAULT_MODEL
from va_app.domain.conversations import guardrails, intents
from va_app.domain.conversations.guardrails import GuardrailConfig


async def test_nearest_centroid_over_template_intents() -> None:
    labels = intents.intents_for("hotel-concierge")
    assert {"check_in_time", "wifi_help", "complaint", "billing_question"} <= set(labels)
    classifier = await intents.classifier_for(labels, DEFAULT_MODEL)
    cases = {
        "When am I allowed to check in to my room?": "check_in_time",
        "I can't get online, what's the wireless password?": "wifi_help",
        "Could you suggest a good restaurant close by?": "local_recommendations",
        "How do I use my rewards points?": "loyalty_points",
    }
    from va_app.domain.knowledge.search import embed_query

    for text, expected in cases.items():
        found = classifier.classify(text, await embed_query(text))
        assert found.name == expected, (text, found)


def test_keyword_fallback() -> None:
    classifier = intents.keyword_classifier(intents.intents_for("support-faq"))
    assert classifier.classify("where is my order").name == "order_status"
    assert classifier.classify("").name == "other"
    assert classifier.classify("zzz qqq").name == "other"


def test_unknown_template_gets_generic_and_handoff_intents() -> None:
    labels = intents.intents_for(None, ["fraud_report"])
    assert labels[: len(intents.GENERIC_INTENTS)] == intents.GENERIC_INTENTS
    assert "fraud_report" in labels
    assert intents.examples_of("fraud_report") == ("fraud report",)


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a person",
        "Can I speak with a human?",
        "connect me to customer service",
        "Transfer me to an agent please",
        "human",
        "representative please",
    ],
)
def test_explicit_requests_for_a_person(text: str) -> None:
    assert guardrails.handoff_reason(text, GuardrailConfig(handoff_enabled=False)) == "user_request"


@pytest.mark.parametrize(
    "text", ["What time is check-in?", "talk to me about the spa", "is the person at reception nice"]
)
def test_ordinary_questions_do_not_hand_off(text: str) -> None:
    assert guardrails.handoff_reason(text, GuardrailConfig()) is None


def test_version_rules_keywords_and_intents() -> None:
    config = GuardrailConfig.from_version(
        {"blocked_topics": ["politics"]},
        {"enabled": True, "on_keywords": ["refund", "chargeback"], "on_intents": ["complaint"]},
    )
    assert guardrails.handoff_reason("I need a refund now", config) == "keyword"
    assert guardrails.handoff_reason("the room was dirty", config, intent="complaint") == "intent"
    assert guardrails.handoff_reason("refundable?", config) is None  # whole words only
    disabled = GuardrailConfig.from_version({}, {"enabled": False, "on_keywords": ["refund"]})
    assert guardrails.handoff_reason("I need a refund", disabled) is None


def test_blocked_topics() -> None:
    config = GuardrailConfig(blocked_topics=("politics", "medical diagnosis", "competitor disparagement"))
    assert guardrails.blocked_topic("Who should I vote for?", config) == "politics"
    assert guardrails.blocked_topic("can you diagnose this rash", config) == "medical diagnosis"
    assert guardrails.blocked_topic("is the pool heated?", config) is None
    assert guardrails.blocked_topic("anything", GuardrailConfig()) is None
