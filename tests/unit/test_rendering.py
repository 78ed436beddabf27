"""What a booking and an unavailable block look like in Google, and the content hash."""

import copy
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shared.domain.booking import Booking, BookingStatus, Customer, Service, UnavailableBlock
from shared.domain.rendering import (
    EVENT_COLORS,
    content_hash,
    nearest_event_color,
    render_booking,
    render_unavailable,
)

OSLO = timezone(timedelta(hours=1))  # CET; Oslo moves to CEST (+02:00) on 2026-03-29 at 02:00

BOOKING = Booking(
    id="b-1",
    version=7,
    status_id="confirmed",
    start=datetime(2026, 4, 14, 7, 0, tzinfo=UTC),  # 09:00 in Oslo (CEST)
    end=datetime(2026, 4, 14, 9, 30, tzinfo=UTC),
    timezone="Europe/Oslo",
    worker_ids=("w-1", "w-2"),
    customer=Customer(
        name="Kari Nordmann",
        business_name="Nordmann AS",
        email="kari@example.com",
        phone="+47 900 00 000",
    ),
    addresses=("Storgata 1, 0155 Oslo", "Back door", "Shed"),
    suburb="Grünerløkka",
    service=Service(name="Window cleaning", description="All windows\nBring the ladder"),
    currency_symbol="kr",
    amount=Decimal("1250"),
    properties=(("Dog", "friendly"), ("Gate code", "1234")),
    created_by="Alice Admin",
    created_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
)
STATUS = BookingStatus(
    id="confirmed", name="Confirmed", color="#2e7d32", push_to_google=True, delete_from_google=False
)


def render(booking=BOOKING, status=STATUS, worker_name="Ola Worker"):
    return render_booking(booking, status, worker_name, "acme", "w-1")


# -- a booking ----------------------------------------------------------------------


def test_a_booking_renders_to_this_exact_event():
    assert render() == {
        "summary": "Confirmed: Kari Nordmann - Window cleaning",
        "description": (
            "Status: Confirmed\n"
            "Worker: Ola Worker\n"
            "Scheduled: 2026-04-14 09:00 - 11:30 (Europe/Oslo)\n"
            "Amount: kr1250.00\n"
            "Suburb: Grünerløkka\n"
            "\n"
            "Customer: Kari Nordmann\n"
            "Business: Nordmann AS\n"
            "Email: kari@example.com\n"
            "Phone: +47 900 00 000\n"
            "Address 1: Storgata 1, 0155 Oslo\n"
            "Address 2: Back door\n"
            "Address 3: Shed\n"
            "\n"
            "Service: Window cleaning\n"
            "All windows\n"
            "Bring the ladder\n"
            "\n"
            "Properties:\n"
            "Dog: friendly\n"
            "Gate code: 1234\n"
            "\n"
            "Created by Alice Admin on 2026-03-01 10:30 (Europe/Oslo)"
        ),
        "start": {"dateTime": "2026-04-14T09:00:00+02:00", "timeZone": "Europe/Oslo"},
        "end": {"dateTime": "2026-04-14T11:30:00+02:00", "timeZone": "Europe/Oslo"},
        "location": "Storgata 1, 0155 Oslo",
        "colorId": "10",
        "status": "confirmed",
        "transparency": "opaque",
        "reminders": {"useDefault": True},
        "extendedProperties": {
            "private": {
                "company_id": "acme",
                "worker_id": "w-1",
                "booking_id": "b-1",
                "key": "booking:b-1",
            }
        },
    }


def test_nobody_is_invited_and_the_event_has_no_id_of_its_own():
    body = render()
    assert "attendees" not in body
    assert "id" not in body  # the planner names the event (event_id) on insert


def test_the_title_shows_status_customer_and_service():
    other = replace(
        BOOKING,
        customer=Customer(name="Ola"),
        service=Service(name="Gutters"),
    )
    assert render(other, replace(STATUS, name="Tentative"))["summary"] == (
        "Tentative: Ola - Gutters"
    )


def test_missing_optional_details_leave_no_empty_lines():
    bare = replace(
        BOOKING,
        customer=Customer(name="Ola"),
        addresses=(),
        suburb="",
        service=Service(name="Gutters"),
        properties=(),
        currency_symbol="",
        amount=Decimal("99.5"),
    )
    body = render(bare)
    assert "location" not in body
    assert body["description"] == (
        "Status: Confirmed\n"
        "Worker: Ola Worker\n"
        "Scheduled: 2026-04-14 09:00 - 11:30 (Europe/Oslo)\n"
        "Amount: 99.50\n"
        "\n"
        "Customer: Ola\n"
        "\n"
        "Service: Gutters\n"
        "\n"
        "Created by Alice Admin on 2026-03-01 10:30 (Europe/Oslo)"
    )


def test_an_amount_keeps_the_decimals_it_has():
    assert (
        "Amount: $12.345\n"
        in render(replace(BOOKING, currency_symbol="$", amount=Decimal("12.345")))["description"]
    )


def test_at_most_three_addresses_are_shown():
    many = replace(BOOKING, addresses=("A", "B", "C", "D"))
    description = render(many)["description"]
    assert "Address 3: C" in description
    assert "D" not in description.split("Address 3: C")[1].split("\n\nService")[0]
    assert "Address 4" not in description


def test_the_worker_name_is_the_one_given():
    assert "Worker: Per\n" in render(worker_name="Per")["description"]


def test_the_private_properties_name_booking_worker_and_company():
    body = render_booking(BOOKING, STATUS, "Ola", "globex", "w-9")
    assert body["extendedProperties"]["private"] == {
        "company_id": "globex",
        "worker_id": "w-9",
        "booking_id": "b-1",
        "key": "booking:b-1",
    }


# -- time zones ---------------------------------------------------------------------


def test_a_booking_is_shown_in_its_own_zone_not_the_workers():
    # The platform sent the times with the worker's Oslo offset; the customer is in New York.
    in_new_york = replace(
        BOOKING,
        start=datetime(2026, 1, 15, 15, 0, tzinfo=OSLO),
        end=datetime(2026, 1, 15, 17, 0, tzinfo=OSLO),
        created_at=datetime(2026, 1, 2, 12, 0, tzinfo=UTC),
        timezone="America/New_York",
    )
    body = render(in_new_york)
    assert body["start"] == {
        "dateTime": "2026-01-15T09:00:00-05:00",
        "timeZone": "America/New_York",
    }
    assert body["end"] == {"dateTime": "2026-01-15T11:00:00-05:00", "timeZone": "America/New_York"}
    assert "Scheduled: 2026-01-15 09:00 - 11:00 (America/New_York)\n" in body["description"]
    assert "Created by Alice Admin on 2026-01-02 07:00 (America/New_York)" in body["description"]
    # The same instants, whatever zone they are shown in.
    assert datetime.fromisoformat(body["start"]["dateTime"]) == in_new_york.start


def test_a_booking_across_the_spring_daylight_saving_change():
    # Oslo, 2026-03-29: 02:00 CET becomes 03:00 CEST. 01:00 to 04:00 local is two hours.
    across = replace(
        BOOKING,
        start=datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        end=datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
    )
    body = render(across)
    assert body["start"]["dateTime"] == "2026-03-29T01:00:00+01:00"
    assert body["end"]["dateTime"] == "2026-03-29T04:00:00+02:00"
    assert body["start"]["timeZone"] == body["end"]["timeZone"] == "Europe/Oslo"
    assert "Scheduled: 2026-03-29 01:00 - 04:00 (Europe/Oslo)\n" in body["description"]
    start = datetime.fromisoformat(body["start"]["dateTime"])
    end = datetime.fromisoformat(body["end"]["dateTime"])
    assert end - start == timedelta(hours=2)


def test_a_booking_over_midnight_shows_the_end_date():
    late = replace(
        BOOKING,
        start=datetime(2026, 4, 14, 20, 0, tzinfo=UTC),
        end=datetime(2026, 4, 14, 23, 0, tzinfo=UTC),
    )
    assert (
        "Scheduled: 2026-04-14 22:00 - 2026-04-15 01:00 (Europe/Oslo)\n"
        in (render(late)["description"])
    )


def test_sub_second_parts_are_dropped():
    precise = replace(BOOKING, start=datetime(2026, 4, 14, 7, 0, 0, 123456, tzinfo=UTC))
    assert render(precise)["start"]["dateTime"] == "2026-04-14T09:00:00+02:00"


# -- colours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("color", "color_id"),
    [
        ("#a4bdfc", "1"),  # Google's own colours map to themselves
        ("#DC2127", "11"),
        ("#e1e1e1", "8"),
        ("#ff0000", "11"),  # red -> Tomato
        ("#ffffff", "8"),  # white -> Graphite
        ("#2e7d32", "10"),  # dark green -> Basil
        ("#1e88e5", "9"),  # blue -> Blueberry
        ("#ffeb3b", "5"),  # yellow -> Banana
        ("#ffa060", "6"),  # light orange -> Tangerine
        ("#00bcd4", "7"),  # cyan -> Peacock
        ("#ce93d8", "3"),  # light purple -> Grape
    ],
)
def test_a_status_colour_maps_to_the_nearest_google_colour(color, color_id):
    assert nearest_event_color(color) == color_id
    assert render(status=replace(STATUS, color=color))["colorId"] == color_id


def test_a_tie_goes_to_the_lower_colour_id():
    # #01a2ed is as far from Peacock (7) as from Blueberry (9).
    assert nearest_event_color("#01a2ed") == "7"


def test_every_google_colour_maps_to_itself():
    assert {nearest_event_color(hex_) for hex_ in EVENT_COLORS.values()} == set(EVENT_COLORS)
    assert all(nearest_event_color(hex_) == id_ for id_, hex_ in EVENT_COLORS.items())


@pytest.mark.parametrize("color", ["", "red", "#12345", "#gggggg", "#1234567"])
def test_a_colour_that_is_not_hex_leaves_the_calendars_colour(color):
    assert nearest_event_color(color) is None
    assert "colorId" not in render(status=replace(STATUS, color=color))


# -- unavailable time ---------------------------------------------------------------

BLOCK = UnavailableBlock(
    id="u-1",
    version=1,
    worker_id="w-1",
    start=datetime(2026, 4, 1, 8, 0, tzinfo=timezone(timedelta(hours=2))),
    end=datetime(2026, 4, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
)


def test_an_unavailable_block_is_a_busy_event_titled_unavailable():
    assert render_unavailable(BLOCK, "acme", "w-1") == {
        "summary": "Unavailable",
        "start": {"dateTime": "2026-04-01T06:00:00Z"},
        "end": {"dateTime": "2026-04-01T10:00:00Z"},
        "status": "confirmed",
        "transparency": "opaque",
        "reminders": {"useDefault": False},
        "extendedProperties": {
            "private": {
                "company_id": "acme",
                "worker_id": "w-1",
                "unavailable_id": "u-1",
                "key": "unavailable:u-1",
            }
        },
    }


def test_an_unavailable_block_takes_its_title():
    assert render_unavailable(replace(BLOCK, title="Dentist"), "acme", "w-1")["summary"] == (
        "Dentist"
    )


# -- content hash -------------------------------------------------------------------


def test_the_hash_is_sha256_of_canonical_json():
    expected = hashlib.sha256('{"a":"ø","b":[1,{"c":null,"d":true}]}'.encode()).hexdigest()
    assert content_hash({"b": [1, {"d": True, "c": None}], "a": "ø"}) == expected


def test_the_hash_does_not_depend_on_key_order():
    body = render()
    reordered = dict(reversed(list(body.items())))
    reordered["extendedProperties"] = {
        "private": dict(reversed(list(body["extendedProperties"]["private"].items())))
    }
    assert list(reordered) != list(body)
    assert content_hash(reordered) == content_hash(body)


def test_an_unchanged_booking_hashes_the_same():
    # Read again (a new version with the same content, a retried task): nothing to send.
    again = replace(BOOKING, version=8, worker_ids=("w-1",))
    assert content_hash(render(again)) == content_hash(render())


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, (*path, key))
    else:
        yield path


@pytest.mark.parametrize("path", list(_leaves(render())), ids=lambda path: ".".join(path))
def test_changing_any_field_changes_the_hash(path):
    body = render()
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target[key]
    leaf = target[path[-1]]
    target[path[-1]] = (not leaf) if isinstance(leaf, bool) else f"{leaf}x"
    assert content_hash(changed) != content_hash(body)


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Decimal("1250.01")},
        {"start": datetime(2026, 4, 14, 7, 15, tzinfo=UTC)},
        {"timezone": "Europe/Stockholm"},
        {"customer": Customer(name="Kari Nordmann", phone="+47 911 11 111")},
        {"addresses": ("Storgata 2, 0155 Oslo",)},
        {"properties": (("Dog", "friendly"), ("Gate code", "4321"))},
        {"service": Service(name="Window cleaning")},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_changing_the_booking_changes_the_hash(changes):
    assert content_hash(render(replace(BOOKING, **changes))) != content_hash(render())


def test_a_status_or_worker_name_change_changes_the_hash():
    assert content_hash(render(status=replace(STATUS, color="#ff0000"))) != content_hash(render())
    assert content_hash(render(worker_name="Per")) != content_hash(render())
