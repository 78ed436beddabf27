"""The booking, batch and unavailability request bodies: every refusal names its field."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shared.domain.booking import Booking, UnavailableBlock
from shared.errors import InvalidInput
from shared.inputs import (
    MAX_BATCH_BOOKINGS,
    BatchBookingIn,
    BookingIn,
    UnavailabilityIn,
)
from shared.web import validate

SNAPSHOT = {
    "version": 7,
    "status_id": "confirmed",
    "start": "2026-03-29T01:00:00+01:00",
    "end": "2026-03-29T04:00:00+02:00",
    "timezone": "Europe/Oslo",
    "worker_ids": ["w-1", "w-2"],
    "customer": {
        "name": "Kari Nordmann",
        "business_name": "Nordmann AS",
        "email": "kari@example.com",
        "phone": "+47 900 00 000",
    },
    "addresses": ["Storgata 1, 0155 Oslo", "Back door"],
    "suburb": "Grünerløkka",
    "service": {"name": "Window cleaning", "description": "All windows\nBring the ladder"},
    "currency_symbol": "kr",
    "amount": 1250.5,
    "properties": {"Gate code": "1234", "Dog": "friendly"},
    "created_by": "Alice Admin",
    "created_at": "2026-03-01T09:30:00Z",
}


def with_(**changes):
    return {**SNAPSHOT, **changes}


def refusal(model, data) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate(model, data)
    return caught.value


# -- a valid snapshot ---------------------------------------------------------------


def test_a_full_snapshot_is_accepted_field_by_field():
    booking = validate(BookingIn, SNAPSHOT)
    assert booking.version == 7
    assert booking.status_id == "confirmed"
    assert booking.start == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert booking.end == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert booking.start.utcoffset() == timedelta(hours=1)  # the offset as sent
    assert booking.timezone == "Europe/Oslo"
    assert booking.worker_ids == ["w-1", "w-2"]
    assert booking.customer.name == "Kari Nordmann"
    assert booking.customer.email == "kari@example.com"
    assert booking.addresses == ["Storgata 1, 0155 Oslo", "Back door"]
    assert booking.service.description == "All windows\nBring the ladder"
    assert booking.amount == Decimal("1250.5")
    assert booking.properties == {"Gate code": "1234", "Dog": "friendly"}
    assert booking.created_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_optional_fields_may_be_left_out_and_lists_may_be_empty():
    booking = validate(
        BookingIn,
        with_(
            customer={"name": "Ola"},
            service={"name": "Gutters"},
            addresses=[],
            worker_ids=[],
            properties={},
        ),
    )
    assert booking.customer.business_name is None
    assert booking.customer.email is None
    assert booking.customer.phone is None
    assert booking.service.description is None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(1250, "1250"), (12.5, "12.5"), (0.1, "0.1"), (-20, "-20"), (99.9999, "99.9999")],
)
def test_an_amount_is_a_json_number_read_exactly(amount, expected):
    booking = validate(BookingIn, with_(amount=amount))
    assert booking.amount == Decimal(expected)
    assert booking.record()["amount"] == expected


@pytest.mark.parametrize("moment", ["2026-03-29T01:00:00Z", "2026-03-29T01:00:00.250-05:00"])
def test_rfc3339_with_an_offset_is_accepted(moment):
    booking = validate(BookingIn, with_(start=moment, end="2026-03-30T00:00:00Z"))
    assert booking.start.utcoffset() is not None


def test_the_stored_record_reads_back_as_the_booking():
    booking = Booking.from_record("b-1", validate(BookingIn, SNAPSHOT).record())
    assert booking.id == "b-1"
    assert booking.version == 7
    assert booking.start == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert booking.worker_ids == ("w-1", "w-2")
    assert booking.amount == Decimal("1250.5")
    assert booking.properties == (("Dog", "friendly"), ("Gate code", "1234"))
    assert booking.customer.business_name == "Nordmann AS"
    assert booking.service.name == "Window cleaning"


# -- refusals name their field ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": "7"}, "version"),  # a string is not a number
        ({"version": 7.0}, "version"),
        ({"version": True}, "version"),
        ({"version": -1}, "version"),
        ({"version": 2**63}, "version"),
        ({"status_id": ""}, "status_id"),
        ({"status_id": "a/b"}, "status_id"),
        ({"status_id": "__x__"}, "status_id"),
        ({"status_id": 3}, "status_id"),
        ({"amount": "12.50"}, "amount"),  # a string is not a number
        ({"amount": True}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": float("nan")}, "amount"),
        ({"amount": float("inf")}, "amount"),
        ({"amount": -float("inf")}, "amount"),
        ({"amount": 1e16}, "amount"),
        ({"amount": 0.00001}, "amount"),
        ({"start": "2026-03-29T01:00:00"}, "start"),  # naive
        ({"start": "2026-03-29 01:00:00"}, "start"),
        ({"start": "2026-03-29"}, "start"),
        ({"start": 1774746000}, "start"),  # a number is not a time
        ({"start": "next tuesday"}, "start"),
        ({"start": "1969-12-31T23:00:00Z", "end": "1970-01-02T00:00:00Z"}, "start"),
        ({"end": "2026-03-29T01:00:00"}, "end"),
        ({"end": "2026-03-29T00:59:00+01:00"}, "end"),  # before start
        ({"end": "2026-03-29T00:00:00Z"}, "end"),  # the same instant as start
        ({"created_at": "2026-03-01T09:30:00"}, "created_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "+02:00"}, "timezone"),
        ({"worker_ids": ["w-1", "w-1"]}, "worker_ids"),
        ({"worker_ids": [f"w-{n}" for n in range(51)]}, "worker_ids"),
        ({"worker_ids": ["w-1", "../x"]}, "worker_ids.1"),
        ({"worker_ids": "w-1"}, "worker_ids"),
        ({"customer": {}}, "customer.name"),
        ({"customer": {"name": ""}}, "customer.name"),
        ({"customer": {"name": "A\nB"}}, "customer.name"),
        ({"customer": {"name": "A", "email": "not-an-email"}}, "customer.email"),
        ({"customer": {"name": "A", "phone": 4790000000}}, "customer.phone"),
        ({"customer": {"name": "A", "vip": True}}, "customer.vip"),
        ({"addresses": ["a", "b", "c", "d"]}, "addresses"),
        ({"addresses": ["a", ""]}, "addresses.1"),
        ({"addresses": ["a" * 301]}, "addresses.0"),
        ({"suburb": "x\ty"}, "suburb"),
        ({"service": {"description": "x"}}, "service.name"),
        ({"service": {"name": "x", "description": "y" * 2001}}, "service.description"),
        ({"currency_symbol": "x" * 11}, "currency_symbol"),
        ({"properties": {"Gate\ncode": "1"}}, "properties.Gate\ncode.[key]"),
        ({"properties": {"Gate": "1\n2"}}, "properties.Gate"),
        ({"properties": {"Gate": 1234}}, "properties.Gate"),
        ({"properties": {f"k{n}": "v" for n in range(21)}}, "properties"),
        ({"created_by": ""}, "created_by"),
        ({"colour": "red"}, "colour"),  # unknown fields are refused
    ],
)
def test_a_bad_field_is_refused_by_name(changes, field):
    assert refusal(BookingIn, with_(**changes)).field == field


@pytest.mark.parametrize("missing", sorted(SNAPSHOT))
def test_every_snapshot_field_is_required(missing):
    data = {key: value for key, value in SNAPSHOT.items() if key != missing}
    assert refusal(BookingIn, data).field == missing


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), -float("inf")])
def test_an_amount_that_is_not_finite_says_so(amount):
    error = refusal(BookingIn, with_(amount=amount))
    assert error.field == "amount"
    assert "finite" in str(error)


def test_end_before_start_says_so():
    error = refusal(BookingIn, with_(end="2026-03-28T00:00:00Z"))
    assert error.field == "end"
    assert "after start" in str(error)


# -- batches ------------------------------------------------------------------------


def item(number: int, **changes) -> dict:
    return {"id": f"b-{number}", **SNAPSHOT, **changes}


def test_a_batch_of_500_is_accepted():
    batch = validate(BatchBookingIn, {"bookings": [item(n) for n in range(MAX_BATCH_BOOKINGS)]})
    assert len(batch.bookings) == 500
    assert batch.bookings[499].id == "b-499"
    assert "id" not in batch.bookings[0].record()


@pytest.mark.parametrize(
    ("bookings", "field"),
    [
        ([item(n) for n in range(MAX_BATCH_BOOKINGS + 1)], "bookings"),
        ([], "bookings"),
        ([item(1), item(2), item(1)], "bookings"),  # the same booking twice
        ([item(1), {**item(2), "id": "a/b"}], "bookings.1.id"),
        ([item(1), {key: value for key, value in item(2).items() if key != "id"}], "bookings.1.id"),
        ([item(1), item(2, end="2026-03-28T00:00:00Z")], "bookings.1.end"),
        ([item(1, amount="5")], "bookings.0.amount"),
    ],
)
def test_a_bad_batch_is_refused_by_name(bookings, field):
    assert refusal(BatchBookingIn, {"bookings": bookings}).field == field


def test_a_repeated_booking_id_is_named_in_the_message():
    assert "b-1" in str(refusal(BatchBookingIn, {"bookings": [item(1), item(1)]}))


# -- unavailable time ---------------------------------------------------------------

BLOCK = {
    "version": 1,
    "worker_id": "w-1",
    "start": "2026-04-01T08:00:00+02:00",
    "end": "2026-04-01T12:00:00+02:00",
}


def test_an_unavailable_block_is_accepted_with_or_without_a_title():
    block = validate(UnavailabilityIn, BLOCK)
    assert block.title is None
    assert block.start == datetime(2026, 4, 1, 8, tzinfo=timezone(timedelta(hours=2)))
    titled = validate(UnavailabilityIn, {**BLOCK, "title": "Dentist"})
    assert titled.title == "Dentist"
    stored = UnavailableBlock.from_record("u-1", titled.record())
    assert stored == UnavailableBlock(
        id="u-1",
        version=1,
        worker_id="w-1",
        start=datetime(2026, 4, 1, 6, tzinfo=UTC),
        end=datetime(2026, 4, 1, 10, tzinfo=UTC),
        title="Dentist",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": "1"}, "version"),
        ({"worker_id": "a/b"}, "worker_id"),
        ({"start": "2026-04-01T08:00:00"}, "start"),
        ({"end": "2026-04-01T07:00:00+02:00"}, "end"),
        ({"end": 1775037600}, "end"),
        ({"title": ""}, "title"),
        ({"title": "Out\nsick"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"reason": "sick"}, "reason"),
    ],
)
def test_a_bad_unavailable_block_is_refused_by_name(changes, field):
    assert refusal(UnavailabilityIn, {**BLOCK, **changes}).field == field
