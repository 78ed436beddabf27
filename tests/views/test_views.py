"""The read side through HTTP: the calendar view, availability and conflicts, with Google
busy time arriving from the stand-in as the account holder makes it, and who may see what.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import wait_until
from tests.push.conftest import ANN, BEN, day, snapshot
from tests.views.conftest import CARL, ViewingCompany, timed


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_calendar_shows_bookings_unavailable_time_and_google_busy_in_the_range(company):
    google = company.stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 8)))
    gym = google.insert_event(BEN, "primary", timed("Gym", day(2, 7)))
    later = google.insert_event(ANN, "primary", timed("Later", day(9, 8)))
    company.imported(dentist["id"], gym["id"], later["id"])
    company.put("b1", snapshot(1, "w1", "w2", start=day(2, 10)))
    company.put("b2", snapshot(1, "w2", start=day(2, 14)))
    company.put("b3", snapshot(1, "w1", start=day(9, 10)))  # outside the range
    company.put("gone", snapshot(1, "w1", start=day(2, 16)))
    company.delete("gone", 2)
    answer = company.call(
        "PUT",
        "/unavailability/u1",
        json={
            "version": 1,
            "worker_id": "w1",
            "start": day(2, 12).isoformat(),
            "end": day(2, 13).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text

    view = company.ok("/calendar", **{"from": day(2, 0), "to": day(3, 0)})

    assert [b["id"] for b in view["bookings"]] == ["b1", "b2"]
    b1 = view["bookings"][0]
    assert b1["worker_ids"] == ["w1", "w2"]
    assert at(b1["start"]) == day(2, 10) and at(b1["end"]) == day(2, 12)
    assert b1["status_id"] == "confirmed"
    assert b1["title"] == "Confirmed: Ada Lovelace - Boiler service"
    assert [(u["id"], u["worker_id"], u["title"]) for u in view["unavailable"]] == [
        ("u1", "w1", "Unavailable")
    ]
    busy = {(b["worker_id"], b["summary"]) for b in view["busy"]}
    assert busy == {("w1", "Dentist"), ("w2", "Gym")}
    (ann,) = [b for b in view["busy"] if b["worker_id"] == "w1"]
    assert at(ann["start"]) == day(2, 8) and at(ann["end"]) == day(2, 9)
    assert ann["calendar_id"] == ANN and ann["all_day"] is False

    only_ben = company.ok("/calendar", **{"from": day(2, 0), "to": day(3, 0)}, worker_ids=["w2"])
    assert [b["id"] for b in only_ben["bookings"]] == ["b1", "b2"]
    assert [b["summary"] for b in only_ben["busy"]] == ["Gym"]
    assert only_ben["unavailable"] == []


def test_the_calendar_filter_chooses_which_imported_calendars_show(company):
    google = company.stack.google
    family = google.create_calendar(ANN, "Family")
    assert company.call("POST", "/workers/w1/resync").status_code == 202  # lists it again
    company.settled()
    chosen = company.call("PUT", "/workers/w1/calendars", json={"selected": [ANN, family["id"]]})
    assert chosen.status_code == 200, chosen.text
    school = google.insert_event(ANN, family["id"], timed("School play", day(2, 15)))
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 8)))
    company.imported(school["id"], dentist["id"])
    window = {"from": day(2, 0), "to": day(3, 0), "worker_ids": ["w1"]}

    everything = company.ok("/calendar", **window)
    assert {b["summary"] for b in everything["busy"]} == {"School play", "Dentist"}
    family_only = company.ok("/calendar", **window, calendar_ids=[family["id"]])
    assert [b["summary"] for b in family_only["busy"]] == ["School play"]
    assert family_only["busy"][0]["calendar_id"] == family["id"]


def test_a_fieldworker_sees_only_itself_and_never_another_workers_google_titles(company):
    google = company.stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 8)))
    gym = google.insert_event(BEN, "primary", timed("Gym", day(2, 7)))
    company.imported(dentist["id"], gym["id"])
    company.put("b1", snapshot(1, "w1", "w2", start=day(2, 10)))
    window = {"from": day(2, 0), "to": day(3, 0)}

    own = company.ok("/calendar", role="fieldworker", worker="w1", **window)
    assert [b["summary"] for b in own["busy"]] == ["Dentist"]  # its own title, nobody else's
    assert [b["worker_ids"] for b in own["bookings"]] == [["w1"]]  # co-workers not named
    also_own = company.ok("/calendar", role="fieldworker", worker="w1", worker_ids=["w1"], **window)
    assert also_own == own

    for path in ("/calendar", "/availability", "/conflicts"):
        for asked in (["w2"], ["w1", "w2"]):
            answer = company.view(path, role="fieldworker", worker="w1", worker_ids=asked, **window)
            assert answer.status_code == 403, (path, asked, answer.text)
            assert answer.json()["error"]["field"] == "worker_ids"
            assert "Gym" not in answer.text

    freebusy = company.ok("/availability", role="fieldworker", worker="w2", **window)
    assert set(freebusy["workers"]) == {"w2"}
    assert "Dentist" not in str(freebusy)


def test_availability_merges_all_busy_time_and_leaves_the_rest_free(company):
    google = company.stack.google
    # 08-09 Google, 09-11 booking (touching: one span), 10:30-12 unavailable (overlapping),
    # 14-15 cancelled booking (not busy), 16-17 Google free time (transparent: not busy).
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 8)))
    maybe = google.insert_event(
        ANN, "primary", timed("Maybe", day(2, 16), transparency="transparent")
    )
    company.imported(dentist["id"])
    company.put("b1", snapshot(1, "w1", start=day(2, 9)))
    company.put("b2", snapshot(1, "w1", start=day(2, 14), end=day(2, 15), status="cancelled"))
    company.call(
        "PUT",
        "/unavailability/u1",
        json={
            "version": 1,
            "worker_id": "w1",
            "start": (day(2, 10) + timedelta(minutes=30)).isoformat(),
            "end": day(2, 12).isoformat(),
        },
    )
    assert maybe["id"] not in company.blocks()

    answer = company.ok("/availability", worker_ids=["w1"], **{"from": day(2, 6), "to": day(2, 20)})

    (worker,) = answer["workers"].values()
    assert [(at(b["start"]), at(b["end"]), b["source"], b["sources"]) for b in worker["busy"]] == [
        (day(2, 8), day(2, 12), "booking", ["booking", "unavailable", "google"])
    ]
    assert [(at(f["start"]), at(f["end"])) for f in worker["free"]] == [
        (day(2, 6), day(2, 8)),
        (day(2, 12), day(2, 20)),
    ]


def test_availability_of_every_worker_by_default_and_clipped_to_the_range(company):
    company.put("b1", snapshot(1, "w2", start=day(2, 5), end=day(2, 9)))
    answer = company.ok("/availability", **{"from": day(2, 6), "to": day(2, 10)})
    assert set(answer["workers"]) == {"w1", "w2"}
    assert answer["workers"]["w1"]["busy"] == []
    assert [(at(f["start"]), at(f["end"])) for f in answer["workers"]["w1"]["free"]] == [
        (day(2, 6), day(2, 10))
    ]
    (busy,) = answer["workers"]["w2"]["busy"]
    assert (at(busy["start"]), at(busy["end"]), busy["source"]) == (day(2, 6), day(2, 9), "booking")


def test_a_conflict_appears_when_google_time_overlaps_a_booking_and_clears_when_it_moves(
    company: ViewingCompany,
):
    google = company.stack.google
    company.put("b1", snapshot(1, "w1", start=day(2, 10)))
    company.put("b2", snapshot(1, "w1", start=day(2, 15)))
    company.settled()
    window = {"from": day(2, 0), "to": day(3, 0)}
    assert company.ok("/conflicts", **window) == {"conflicts": []}
    assert company.sync_of("b1")["w1"]["conflicts"] == []

    # The worker books the dentist over job b1 in Google; one notification brings it in.
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 11)))
    company.imported(dentist["id"])

    (conflict,) = company.ok("/conflicts", **window)["conflicts"]
    assert (conflict["booking_id"], conflict["worker_id"]) == ("b1", "w1")
    assert at(conflict["booking"]["start"]) == day(2, 10)
    busy = conflict["busy"]
    assert (busy["calendar_id"], busy["summary"]) == (ANN, "Dentist")
    assert at(busy["start"]) == day(2, 11) and at(busy["end"]) == day(2, 12)
    (clash,) = company.sync_of("b1")["w1"]["conflicts"]
    assert clash["id"] == busy["id"] and clash["summary"] == "Dentist"
    assert company.sync_of("b2")["w1"]["conflicts"] == []
    # The fieldworker sees its own conflict, title included.
    own = company.ok("/conflicts", role="fieldworker", worker="w1", **window)
    assert [c["busy"]["summary"] for c in own["conflicts"]] == ["Dentist"]

    # Moved to the evening, touching nothing: the conflict clears.
    google.patch_event(ANN, "primary", dentist["id"], timed("Dentist", day(2, 18)))
    wait_until(
        lambda: company.ok("/conflicts", **window)["conflicts"] == [],
        timeout=20,
        what="the conflict cleared",
    )
    assert company.sync_of("b1")["w1"]["conflicts"] == []


def test_a_cancelled_booking_has_no_conflict(company):
    google = company.stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    company.imported(dentist["id"])
    company.put("b1", snapshot(1, "w1", start=day(2, 10), status="cancelled"))
    assert company.ok("/conflicts", **{"from": day(2, 0), "to": day(3, 0)})["conflicts"] == []
    assert company.sync_of("b1")["w1"]["conflicts"] == []


def test_a_shared_account_shows_its_busy_time_for_each_worker_in_their_own_zone(company):
    """Carl shares Ann's Google account but lives in New York: Ann's all-day event covers
    Carl's own calendar day, and a booking of Carl's clashes with her timed event too."""
    company.add_worker("w3", CARL, name="Carl", timezone="America/New_York")
    company.connect("w3", ANN)
    company.wait_first_sync("w3")
    google = company.stack.google
    start = day(5, 0).date()
    holiday = google.insert_event(
        ANN,
        "primary",
        {
            "summary": "Holiday",
            "start": {"date": start.isoformat()},
            "end": {"date": (start + timedelta(days=1)).isoformat()},
        },
    )
    company.imported(holiday["id"])
    assert len(company.blocks()) == 1  # stored once for the account

    view = company.ok("/calendar", **{"from": day(4, 0), "to": day(7, 0)})
    seen = {b["worker_id"]: b for b in view["busy"]}
    assert set(seen) == {"w1", "w3"}
    assert seen["w1"]["all_day"] and seen["w1"]["start_date"] == start.isoformat()
    assert seen["w1"]["start"] == f"{start.isoformat()}T00:00:00+01:00"
    assert seen["w3"]["start"] == f"{start.isoformat()}T00:00:00-05:00"
    # 02:00 in Oslo is still the day before in New York: busy for Ann only.
    early = day(5, 2)
    company.put("b1", snapshot(1, "w1", "w3", start=early, end=early + timedelta(hours=1)))
    conflicts = company.ok("/conflicts", **{"from": day(4, 0), "to": day(7, 0)})["conflicts"]
    assert [c["worker_id"] for c in conflicts] == ["w1"]


def test_google_busy_time_is_hidden_when_the_company_no_longer_imports(company):
    google = company.stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    company.imported(dentist["id"])
    company.put("b1", snapshot(1, "w1", start=day(2, 10)))
    answer = company.call("PUT", "/settings", json={"sync_direction": "push_only"})
    assert answer.status_code == 200, answer.text
    window = {"from": day(2, 0), "to": day(3, 0)}
    assert company.ok("/calendar", **window)["busy"] == []
    assert company.ok("/conflicts", **window)["conflicts"] == []
    busy = company.ok("/availability", worker_ids=["w1"], **window)["workers"]["w1"]["busy"]
    assert [b["source"] for b in busy] == ["booking"]


def test_bad_queries_are_400s_naming_the_parameter_and_unknown_workers_404(company):
    start, end = day(2, 0).isoformat(), day(3, 0).isoformat()
    cases = [
        ({"to": end}, 400, "from"),
        ({"from": start}, 400, "to"),
        ({"from": "tomorrow", "to": end}, 400, "from"),
        ({"from": "2026-12-01T09:00:00", "to": end}, 400, "from"),  # no offset
        ({"from": end, "to": start}, 400, "to"),
        ({"from": start, "to": (day(2, 0) + timedelta(days=94)).isoformat()}, 400, "to"),
        ({"from": start, "to": end, "worker_ids": "w1,__x__"}, 400, "worker_ids.1"),
        ({"from": start, "to": end, "worker_ids": ""}, 400, "worker_ids.0"),
        ({"from": start, "to": end, "worker_ids": "a/b"}, 400, "worker_ids.0"),
        ({"from": start, "to": end, "color": "red"}, 400, "color"),
        ({"from": start, "to": end, "worker_ids": "nobody"}, 404, "worker_ids"),
        ({"from": start, "to": end, "calendar_ids": "x"}, 400, "calendar_ids"),
    ]
    for params, status, field in cases:
        for path in ("/availability", "/conflicts"):
            answer = company.stack.request("GET", path, company=company.id, params=params)
            assert answer.status_code == status, (path, params, answer.text)
            assert answer.json()["error"]["field"] == field, (path, params, answer.text)
    repeated = company.stack.request(
        "GET",
        f"/calendar?from={start.replace('+', '%2B')}&to={end.replace('+', '%2B')}&to={end}",
        company=company.id,
    )
    assert repeated.status_code == 400 and repeated.json()["error"]["field"] == "to"
    odd = company.stack.request(
        "GET",
        "/calendar",
        company=company.id,
        params={"from": start, "to": end, "calendar_ids": "a\nb"},
    )
    assert odd.status_code == 400 and odd.json()["error"]["field"] == "calendar_ids.0"
    unauthenticated = company.stack.request("GET", "/calendar", token="", params={"from": start})
    assert unauthenticated.status_code == 401


def test_another_companys_workers_and_busy_time_are_not_reachable(company, stack):
    google = company.stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    company.imported(dentist["id"])
    company.put("b1", snapshot(1, "w1", start=day(2, 10)))
    window = {"from": day(2, 0).isoformat(), "to": day(3, 0).isoformat()}

    rival = stack.request(
        "GET", "/availability", company="rival", params={**window, "worker_ids": "w1"}
    )
    assert rival.status_code == 404 and rival.json()["error"]["field"] == "worker_ids"
    everything = stack.request("GET", "/calendar", company="rival", params=window)
    assert everything.json() == {"bookings": [], "unavailable": [], "busy": []}
    assert stack.request("GET", "/conflicts", company="rival", params=window).json() == {
        "conflicts": []
    }
