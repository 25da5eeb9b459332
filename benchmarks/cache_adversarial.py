"""Held-out near-duplicates for the semantic cache: questions that look alike but mean different things.

Written BEFORE the cache's matching rules (``va_app/domain/conversations/cache_match.py``) and
never tuned against them: each pair was written by asking "what would a real user type that an
embedding places next to the first question but that needs a different answer?". The pairs are
grouped by what differs (a number, a date, a negation, a product or other name, a place) plus
a control group of true paraphrases that *should* share an answer, so a rule set that simply
never hits cannot look good.

``FIRST`` is asked first (it fills the cache), ``SECOND`` right after; a semantic hit on
``SECOND`` is a wrong cached answer for every group except ``paraphrase``.

Two sets: ``GENERIC`` for an agent without knowledge (order numbers, plans, devices), and
``HOTEL`` for the hotel FAQ agent of ``cache_replay.py`` (its questions retrieve FAQ chunks).
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["number", "date", "negation", "name", "place", "paraphrase"]
Pair = tuple[Kind, str, str]

GENERIC: tuple[Pair, ...] = (
    # numbers: order ids, quantities, amounts, versions, sizes
    ("number", "What is the status of order 7781?", "What is the status of order 7782?"),
    ("number", "Where is my parcel with tracking number 40051?", "Where is my parcel with tracking number 40015?"),
    ("number", "Can I return an item after 30 days?", "Can I return an item after 60 days?"),
    ("number", "Is shipping free for orders over 50 euros?", "Is shipping free for orders over 25 euros?"),
    ("number", "How much does the plan cost for 5 users?", "How much does the plan cost for 50 users?"),
    ("number", "Does firmware version 2.1 fix the bluetooth bug?", "Does firmware version 2.3 fix the bluetooth bug?"),
    ("number", "Do you have the jacket in size 38?", "Do you have the jacket in size 42?"),
    ("number", "Can I book a table for 2 people tonight?", "Can I book a table for 12 people tonight?"),
    ("number", "What is the fee for a transfer of 1000 dollars?", "What is the fee for a transfer of 10000 dollars?"),
    ("number", "Why was invoice INV-2231 charged twice?", "Why was invoice INV-2213 charged twice?"),
    ("number", "Is there a discount if I buy three licences?", "Is there a discount if I buy ten licences?"),
    ("number", "Can I get a refund for ticket 88120?", "Can I get a refund for ticket 88121?"),
    # dates and times
    ("date", "Are you open on December 24?", "Are you open on December 26?"),
    ("date", "Is the store open on Sunday?", "Is the store open on Saturday?"),
    ("date", "Can I change my delivery to Monday?", "Can I change my delivery to Friday?"),
    ("date", "Will my order arrive before Christmas?", "Will my order arrive before New Year?"),
    ("date", "Is support available at 8 pm?", "Is support available at 8 am?"),
    ("date", "What were my charges in March 2024?", "What were my charges in May 2024?"),
    ("date", "Can I pick up my order tomorrow?", "Can I pick up my order today?"),
    ("date", "Is the promotion valid until 31 January?", "Is the promotion valid until 31 July?"),
    ("date", "Do you deliver on public holidays in July?", "Do you deliver on public holidays in August?"),
    ("date", "Was my payment received yesterday?", "Was my payment received last week?"),
    # negations
    ("negation", "Can I cancel my subscription online?", "Can I not cancel my subscription online?"),
    ("negation", "Why is my card accepted?", "Why is my card not accepted?"),
    ("negation", "What happens if I pay my bill on time?", "What happens if I don't pay my bill on time?"),
    ("negation", "Is the charger included in the box?", "Is the charger not included in the box?"),
    ("negation", "Which products can be shipped abroad?", "Which products cannot be shipped abroad?"),
    ("negation", "Why did I receive the confirmation email?", "Why didn't I receive the confirmation email?"),
    ("negation", "How do I order with an account?", "How do I order without an account?"),
    ("negation", "Is the app working on Android?", "Is the app never working on Android?"),
    ("negation", "What should I do if the package arrived?", "What should I do if the package never arrived?"),
    ("negation", "Are returns allowed on sale items?", "Are no returns allowed on sale items?"),
    # product and other names
    ("name", "Does the Pro plan include phone support?", "Does the Basic plan include phone support?"),
    ("name", "How do I reset my Galaxy S23?", "How do I reset my Pixel 8?"),
    ("name", "Is the iPhone 15 compatible with your charger?", "Is the iPhone 12 compatible with your charger?"),
    ("name", "Can I pay with PayPal?", "Can I pay with Klarna?"),
    ("name", "Do you ship with DHL?", "Do you ship with FedEx?"),
    ("name", "How do I connect the app to Slack?", "How do I connect the app to Microsoft Teams?"),
    ("name", "Is the Model X vacuum waterproof?", "Is the Model Y vacuum waterproof?"),
    ("name", "Does the Premium subscription include Netflix?", "Does the Premium subscription include Disney+?"),
    ("name", "What is the warranty on the ThinkPad T14?", "What is the warranty on the MacBook Air?"),
    ("name", "Can I transfer my account to Anna Schmidt?", "Can I transfer my account to Peter Meyer?"),
    ("name", "Is the Nike Pegasus available in blue?", "Is the Adidas Ultraboost available in blue?"),
    ("name", "Does the Family plan work with Spotify?", "Does the Student plan work with Spotify?"),
    # places
    ("place", "Do you deliver to Canada?", "Do you deliver to Mexico?"),
    ("place", "What are the opening hours of the Berlin store?", "What are the opening hours of the Munich store?"),
    ("place", "How long does shipping to Australia take?", "How long does shipping to Austria take?"),
    ("place", "Is there a pickup point in Lyon?", "Is there a pickup point in Lille?"),
    ("place", "Can I return an item bought in the Paris shop?", "Can I return an item bought in the London shop?"),
    ("place", "Do prices include VAT in Germany?", "Do prices include VAT in Switzerland?"),
    # controls: true paraphrases (a hit is right here)
    ("paraphrase", "How do I reset my password?", "How can I reset my password?"),
    ("paraphrase", "What payment methods do you accept?", "Which payment methods do you accept?"),
    ("paraphrase", "How do I cancel my subscription?", "How can I cancel my subscription?"),
    ("paraphrase", "Where can I download my invoices?", "Where do I download my invoices?"),
    ("paraphrase", "How long does standard delivery take?", "How long does standard shipping take?"),
    ("paraphrase", "Can I change my email address?", "Can I change my e-mail address?"),
    ("paraphrase", "How do I contact customer support?", "How can I contact customer support?"),
    ("paraphrase", "Do you offer gift cards?", "Do you sell gift cards?"),
    ("paraphrase", "How do I update my billing address?", "How can I update my billing address?"),
    ("paraphrase", "Is there a mobile app?", "Do you have a mobile app?"),
)

HOTEL: tuple[Pair, ...] = (
    ("number", "Can I check in at 12:00?", "Can I check in at 10:00?"),
    ("number", "Is late check-out until 14:00 possible?", "Is late check-out until 18:00 possible?"),
    ("number", "Can I bring a dog under 10 kg?", "Can I bring a dog of 30 kg?"),
    ("number", "Is parking 35 EUR per night?", "Is parking 20 EUR per night?"),
    ("number", "Is the gym on level 2?", "Is the gym on level 5?"),
    ("number", "Do you have a room for 2 adults?", "Do you have a room for 4 adults?"),
    ("date", "Is breakfast served on Sunday?", "Is breakfast served on Monday?"),
    ("date", "Is the pool open on Christmas Day?", "Is the pool open on New Year's Day?"),
    ("date", "Is the spa open in January?", "Is the spa open in August?"),
    ("date", "Can I check out tomorrow?", "Can I check out today?"),
    ("negation", "Is breakfast included?", "Is breakfast not included?"),
    ("negation", "Are pets allowed?", "Are pets not allowed?"),
    ("negation", "Is parking free?", "Is parking not free?"),
    ("negation", "Do you have room service?", "Don't you have room service?"),
    ("negation", "Is the pool heated?", "Is the pool never heated?"),
    ("name", "How do I get from Charles de Gaulle airport?", "How do I get from Orly airport?"),
    ("name", "Is dinner served at Le Jardin?", "Is dinner served at Le Bistrot?"),
    ("name", "Is breakfast served in the Atrium?", "Is breakfast served in the Orangerie?"),
    ("name", "Which wifi network is Aurelia-Guest?", "Which wifi network is Aurelia-Staff?"),
    ("place", "Is the garage entrance on Rue Cambon?", "Is the garage entrance on Rue de Rivoli?"),
    ("paraphrase", "What time is check-in?", "When can I check in?"),
    ("paraphrase", "Is there a swimming pool?", "Do you have a pool?"),
    ("paraphrase", "Are pets allowed?", "Do you accept dogs?"),
    ("paraphrase", "What is the Wi-Fi password?", "What's the wifi password?"),
    ("paraphrase", "Do you have parking?", "Is there parking at the hotel?"),
)
