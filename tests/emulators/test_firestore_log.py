"""The Firestore emulator's own output goes to a log file, so contention (lock timeouts,
aborted transactions) can be seen locally; each start keeps only the previous start's log."""

from __future__ import annotations

import os
import threading

import pytest
from google.api_core.exceptions import Aborted
from google.cloud import firestore

from emulators.firestore import OFFICIAL, FirestoreEmulator, open_log


def _write(path, text: str) -> None:
    path.write_text(text)


def test_each_start_begins_afresh_and_keeps_the_previous_log(tmp_path):
    log = tmp_path / "logs" / "firestore.log"  # the folder is made when missing
    os.close(open_log(log))
    _write(log, "first run\n")
    os.close(open_log(log))
    assert log.read_text() == ""
    assert log.with_name("firestore.log.1").read_text() == "first run\n"
    _write(log, "second run\n")
    os.close(open_log(log))
    assert log.with_name("firestore.log.1").read_text() == "second run\n"  # first one gone
    assert sorted(p.name for p in log.parent.iterdir()) == ["firestore.log", "firestore.log.1"]


def _started_line(mode: str) -> str:
    return "Dev App Server is now running" if mode == OFFICIAL else "Firestore (reduced) listening"


def test_the_emulators_output_goes_to_its_log(tmp_path, firestore_emulator):
    # `firestore_emulator` first: that one decides (and, when reduced, installs) the mode.
    log = tmp_path / "firestore.log"
    with FirestoreEmulator(mode=firestore_emulator.mode, log_path=log) as emulator:
        assert emulator.log_path == log
        assert _started_line(emulator.mode) in log.read_text()


@pytest.mark.full_firestore
def test_a_lock_timeout_shows_in_the_log(tmp_path, monkeypatch):
    log = tmp_path / "firestore.log"
    with FirestoreEmulator(mode=OFFICIAL, log_path=log) as emulator:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host)
        client = firestore.Client(project="lock-timeout")
        ref = client.document("companies/c1/workers/w1")
        ref.set({"n": 0})
        holding, release = threading.Event(), threading.Event()

        def hold(transaction):  # reads the document, so holds its lock until released
            ref.get(transaction=transaction)
            holding.set()
            release.wait(30)

        def write(transaction):
            transaction.update(ref, {"n": 1})

        holder = threading.Thread(
            target=lambda: firestore.transactional(hold)(client.transaction(max_attempts=1))
        )
        holder.start()
        try:
            assert holding.wait(10)
            with pytest.raises(ValueError) as failed:
                firestore.transactional(write)(client.transaction(max_attempts=1))
            assert isinstance(failed.value.__cause__, Aborted)
        finally:
            release.set()
            holder.join(30)
    assert "Transaction lock timeout." in log.read_text()
