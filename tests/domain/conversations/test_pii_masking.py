"""PII masking: what must be masked is, what must not be is not (Luhn, Verhoeff, SSA rules)."""

from __future__ import annotations

import pytest

from va_app.domain.conversations.pii import StreamMasker, luhn_valid, mask, verhoeff_valid


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jane.doe+hotel@example.co.uk today", "EMAIL"),
        ("my card is 4111 1111 1111 1111", "CARD"),
        ("card 4111-1111-1111-1111 exp 09/27", "CARD"),
        ("amex 378282246310005", "CARD"),
        ("call me on +44 20 7946 0958", "PHONE"),
        ("my cell is (555) 123-4567", "PHONE"),
        ("number 555-123-4567", "PHONE"),
        ("mobile 07911123456", "PHONE"),
        ("ssn 123-45-6789", "SSN"),
        ("NI number AB 12 34 56 C", "NI_NUMBER"),
        ("ni ab123456c", "NI_NUMBER"),
        ("aadhaar 2345 6789 0124", "AADHAAR"),
        ("PAN ABCPE1234F", "PAN"),
    ],
)
def test_identifiers_are_masked(text: str, kind: str) -> None:
    masked = mask(text)
    assert masked.found[kind] == 1, (masked.text, masked.found)
    assert f"[{kind}]" in masked.text
    assert not any(ch.isdigit() for ch in masked.text.split(f"[{kind}]")[0][-3:])


@pytest.mark.parametrize(
    "text",
    [
        "check-in is at 15:00 and check-out at 11:00",
        "breakfast costs 25 EUR, room 1204, floor 12",
        "we met on 2024-05-12",
        "order 12345678 has shipped",
        "version 1.2.3 and pi 3.14159",
        "card 4111 1111 1111 1112",  # fails the Luhn check: not a card
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask(text).text == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4111a11111111111")


def test_verhoeff() -> None:
    assert verhoeff_valid("2363")  # the textbook example: 236 with check digit 3
    assert verhoeff_valid("234567890124")
    assert not verhoeff_valid("234567890123")


def test_several_kinds_in_one_message_and_no_digits_survive() -> None:
    text = "I'm jo@x.io, card 5555 5555 5555 4444, phone +1 415 555 2671, SSN 219-09-9999"
    masked = mask(text)
    assert set(masked.found) == {"EMAIL", "CARD", "PHONE", "SSN"}
    assert not any(ch.isdigit() for ch in masked.text)


def test_stream_masker_never_emits_part_of_an_identifier() -> None:
    text = (
        "Sure! I have noted the card 4111 1111 1111 1111 and the address jane@example.com; "
        "we will call +44 20 7946 0958 tomorrow morning. Anything else I can do for you today?"
    )
    for size in (1, 2, 3, 5, 8, 13):
        masker = StreamMasker(holdback=24)
        pieces = [masker.feed(text[i : i + size]) for i in range(0, len(text), size)]
        pieces.append(masker.flush())
        joined = "".join(pieces)
        assert joined == mask(text).text
        for piece in pieces:
            assert "4111" not in piece and "7946" not in piece and "jane@" not in piece
