"""Event ids: Google's alphabet, deterministic, and different for anything that differs."""

import re

import pytest

from shared.domain.booking import EventKey, event_id

GOOGLE_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")


def test_an_event_id_is_in_googles_alphabet_and_length():
    identifier = event_id("acme", "w-1", EventKey.booking("b-1"), 0)
    assert GOOGLE_EVENT_ID.fullmatch(identifier)
    assert len(identifier) == 52  # base32hex of a SHA-256, unpadded


@pytest.mark.parametrize(
    "parts",
    [
        ("acme", "w-1", "booking:b-1", 0),
        ("A.B:C@D_E-F", "WORKER.with:odd@chars", "unavailable:U_1", 10**12),
        ("é", "ø", "booking:å", 3),
        ("", "", "", 0),
    ],
)
def test_any_ids_give_a_valid_event_id(parts):
    assert GOOGLE_EVENT_ID.fullmatch(event_id(*parts))


def test_the_same_parts_give_the_same_id():
    # An insert retried after a lost answer names the same event.
    first = event_id("acme", "w-1", EventKey.booking("b-1"), 2)
    assert event_id("acme", "w-1", EventKey.booking("b-1"), 2) == first
    assert event_id("acme", "w-1", "booking:b-1", 2) == first  # the key as text


def test_the_id_is_pinned():
    # A stored link must still name its event after an upgrade: the derivation may not drift.
    # base32hex(SHA-256('["acme","w-1","booking:b-1",0]')), unpadded, lower case.
    assert (
        event_id("acme", "w-1", "booking:b-1", 0)
        == "5cgrb59a9c11427uhkbbq56i9thgr45hc3sreckdrt6h2k3iujo0"
    )


BASE = ("acme", "w-1", "booking:b-1", 0)


@pytest.mark.parametrize(
    "other",
    [
        ("acme", "w-1", "booking:b-1", 1),  # a booking that came back
        ("globex", "w-1", "booking:b-1", 0),
        ("acme", "w-2", "booking:b-1", 0),
        ("acme", "w-1", "booking:b-2", 0),
        ("acme", "w-1", "unavailable:b-1", 0),
        # Parts are kept apart: moving a character across a boundary is another id.
        ("acm", "ew-1", "booking:b-1", 0),
        ("acme", "w-1booking:", "b-1", 0),
    ],
)
def test_a_different_part_gives_a_different_id(other):
    assert event_id(*other) != event_id(*BASE)


def test_generations_never_repeat_an_id():
    ids = {event_id("acme", "w-1", "booking:b-1", generation) for generation in range(1000)}
    assert len(ids) == 1000


@pytest.mark.parametrize("generation", [-1, True, 1.0, "1", None])
def test_a_generation_is_a_non_negative_integer(generation):
    with pytest.raises(ValueError):
        event_id("acme", "w-1", "booking:b-1", generation)


def test_event_keys_name_bookings_and_blocks():
    assert str(EventKey.booking("b-1")) == "booking:b-1"
    assert str(EventKey.unavailable("u-1")) == "unavailable:u-1"
    assert EventKey.parse("booking:b:1") == EventKey("booking", "b:1")  # ids may hold ':'
    assert EventKey.parse("unavailable:u-1") == EventKey.unavailable("u-1")
    assert EventKey.booking("x") != EventKey.unavailable("x")


@pytest.mark.parametrize("text", ["booking:", "meeting:m-1", "b-1", ""])
def test_a_bad_event_key_is_refused(text):
    with pytest.raises(ValueError):
        EventKey.parse(text)
