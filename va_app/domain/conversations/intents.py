"""A cheap intent classifier: nearest centroid over a few example phrases per intent.

Why not ask the LLM? It would add a paid call (or tokens) to every turn for a label that
analytics and handoff rules need to be stable, not eloquent. The query embedding is computed
anyway for the semantic cache, so classifying costs one small matrix product. Intents come
from the agent's template (``suggested_intents`` plus the handoff rules' ``on_intents``);
intents without curated examples use their own name ("refund_request" -> "refund request").
When no embedding is at hand (the exact cache answered) a keyword overlap classifier with the
same examples decides.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from va_app.domain.agents.template_catalog import TEMPLATES
from va_app.domain.knowledge import ingestion

MIN_SCORE = 0.35  # cosine to the nearest centroid; below it the turn is "other"
GENERIC_INTENTS = ("greeting", "thanks", "human_request", "complaint")
EXAMPLES: dict[str, tuple[str, ...]] = {
    "greeting": ("hello", "hi there", "good morning"),
    "thanks": ("thank you", "thanks, that helps", "great, thanks a lot"),
    "human_request": ("I want to talk to a person", "can I speak to a human", "connect me with an agent"),
    "complaint": ("I want to complain", "this is unacceptable, I am very unhappy", "the service was terrible"),
    "check_in_time": ("what time is check-in", "when can I check in", "what time is check-out", "early check-in"),
    "amenities": ("do you have a pool", "is there a gym or spa", "what facilities does the hotel have"),
    "booking_change": ("change my reservation dates", "modify my booking", "add a night to my stay"),
    "cancel_reservation": ("cancel my reservation", "I need to cancel my booking"),
    "room_service": ("order room service", "can I get food delivered to my room", "extra towels please"),
    "wifi_help": ("what is the wifi password", "the internet is not working", "how do I connect to wifi"),
    "loyalty_points": ("how many loyalty points do I have", "redeem my points", "join the rewards programme"),
    "local_recommendations": ("restaurants nearby", "what to see in the city", "recommend a bar near the hotel"),
    "billing_question": ("question about my bill", "why was I charged twice", "invoice for my stay"),
    "group_booking": ("book rooms for a group", "wedding block of rooms", "conference for 50 people"),
    "safety": ("there is a fire", "I feel unsafe", "medical emergency"),
    "order_status": ("where is my order", "track my package", "has my order shipped"),
    "return_policy": ("how do I return an item", "what is your return policy", "can I exchange this"),
    "shipping_times": ("how long does delivery take", "shipping times to Germany", "when will it arrive"),
    "reset_password": ("I forgot my password", "reset my password", "cannot log in to my account"),
    "refund_request": ("I want a refund", "give me my money back", "refund my order"),
    "product_question": ("does this product come in blue", "what are the dimensions", "is it compatible"),
    "account_locked": ("my account is locked", "account suspended", "locked out of my account"),
    "legal": ("I will take legal action", "talk to my lawyer", "GDPR data request"),
    "pricing": ("how much does it cost", "what are your plans", "price per user"),
    "request_demo": ("can I get a demo", "book a demo", "show me the product"),
    "feature_question": ("does it support SSO", "can it export reports", "is there an API"),
    "integration_question": ("does it integrate with Salesforce", "Slack integration", "connect to our CRM"),
    "enterprise_pricing": ("enterprise plan pricing", "volume discount for 1000 seats", "custom contract"),
    "security_review": ("security questionnaire", "are you SOC 2 compliant", "data processing agreement"),
    "contract_question": ("contract terms", "renewal and cancellation terms", "sign the agreement"),
    "password_reset": ("I forgot my password", "reset my password", "password expired"),
    "mfa_help": ("my authenticator app is not working", "new phone for MFA", "two-factor code"),
    "vpn_issue": ("VPN will not connect", "VPN keeps disconnecting", "cannot reach the VPN"),
    "access_request": ("I need access to the finance share", "request access to Jira", "permissions for a system"),
    "software_install": ("install Visual Studio Code", "can I get Photoshop", "software request"),
    "printer_issue": ("the printer is not working", "printer jam", "add a printer"),
    "phishing_report": ("I got a suspicious email", "I clicked a phishing link", "report phishing"),
    "security_incident": ("my account was hacked", "malware on my laptop", "ransomware"),
    "lost_device": ("I lost my laptop", "my phone was stolen", "lost my work phone"),
    "hardware_failure": ("my laptop will not turn on", "the screen is broken", "keyboard stopped working"),
}
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    {"a", "an", "the", "i", "my", "me", "to", "is", "it", "of", "for", "do", "does", "can", "how", "what", "when"}
    | {"where", "in", "on", "you", "your", "we", "this", "be"}
)


def intents_for(template: str | None, handoff_intents: Sequence[str] = ()) -> tuple[str, ...]:
    """The label set for an agent: its template's intents, handoff intents, and a generic core."""
    found: list[str] = list(GENERIC_INTENTS)
    if template and template in TEMPLATES:
        found += list(TEMPLATES[template].get("suggested_intents", ()))
        found += list(TEMPLATES[template].get("handoff_rules", {}).get("on_intents", ()))
    found += list(handoff_intents)
    return tuple(dict.fromkeys(found))


def examples_of(intent: str) -> tuple[str, ...]:
    return EXAMPLES.get(intent) or (intent.replace("_", " "),)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


@dataclass(frozen=True)
class Intent:
    name: str
    score: float


class IntentClassifier:
    """Centroids for one label set; build once (see :func:`classifier_for`) and reuse."""

    def __init__(self, intents: Sequence[str], centroids: np.ndarray | None) -> None:
        self.intents = tuple(intents)
        self.centroids = centroids
        self._keywords = [set().union(*(_words(e) for e in examples_of(i))) for i in self.intents]

    def classify(self, text: str, vector: np.ndarray | None = None) -> Intent:
        if vector is not None and self.centroids is not None:
            scores = self.centroids @ np.asarray(vector, dtype=np.float32)
            best = int(np.argmax(scores))
            score = float(scores[best])
            return Intent(self.intents[best], round(score, 4)) if score >= MIN_SCORE else Intent("other", score)
        return self.classify_keywords(text)

    def classify_keywords(self, text: str) -> Intent:
        words = _words(text)
        if not words:
            return Intent("other", 0.0)
        overlaps = [len(words & kw) / len(words) for kw in self._keywords]
        best = max(range(len(overlaps)), key=overlaps.__getitem__)
        return Intent(self.intents[best], round(overlaps[best], 4)) if overlaps[best] > 0 else Intent("other", 0.0)


async def build(intents: Sequence[str], model: str) -> IntentClassifier:
    """Embed each intent's examples and keep the normalised mean as its centroid."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for intent in intents:
        examples = examples_of(intent)
        spans.append((len(texts), len(texts) + len(examples)))
        texts.extend(examples)
    vectors = await ingestion.embed_texts(model, texts, gated=False)
    centroids = np.stack([vectors[a:b].mean(axis=0) for a, b in spans]).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return IntentClassifier(intents, centroids)


_classifiers: dict[tuple[tuple[str, ...], str], IntentClassifier] = {}
_building: dict[tuple[tuple[str, ...], str], asyncio.Future[IntentClassifier]] = {}


async def classifier_for(intents: Sequence[str], model: str) -> IntentClassifier:
    """One classifier per label set and model per process (built on first use, concurrently once)."""
    key = (tuple(intents), model)
    found = _classifiers.get(key)
    if found is not None:
        return found
    pending = _building.get(key)
    if pending is None:
        pending = _building[key] = asyncio.ensure_future(build(key[0], model))
    try:
        built = await asyncio.shield(pending)
    finally:
        _building.pop(key, None)
    _classifiers[key] = built
    return built


def keyword_classifier(intents: Sequence[str]) -> IntentClassifier:
    return IntentClassifier(intents, None)
