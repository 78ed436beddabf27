"""Keeping Firestore's documents across restarts (`make run KEEP=1`): export, then import."""

from __future__ import annotations

import uuid

import pytest
from google.cloud import firestore

from emulators.firestore import REDUCED, FirestoreEmulator, find_export


def _client(emulator: FirestoreEmulator, project: str, monkeypatch) -> firestore.Client:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host)
    return firestore.Client(project=project)


@pytest.mark.full_firestore
def test_an_export_is_loaded_by_the_next_start(firestore_emulator, tmp_path, monkeypatch):
    kept, other = f"keep-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    directory = tmp_path / "firestore"
    first = _client(firestore_emulator, kept, monkeypatch)
    first.document("things/one").set({"n": 1})
    _client(firestore_emulator, other, monkeypatch).document("things/two").set({"n": 2})
    firestore_emulator.export(kept, directory)
    first.document("things/one").set({"n": 3})
    firestore_emulator.export(kept, directory)  # replaces the earlier export
    assert find_export(directory) is not None
    assert [p.name for p in tmp_path.iterdir()] == ["firestore"]  # nothing partial left over

    with FirestoreEmulator(import_from=directory) as restarted:
        assert restarted.imported
        client = _client(restarted, kept, monkeypatch)
        assert client.document("things/one").get().to_dict() == {"n": 3}
        # Only the exported project is kept.
        assert not _client(restarted, other, monkeypatch).document("things/two").get().exists


def test_a_folder_without_an_export_has_nothing_to_import(tmp_path):
    assert find_export(tmp_path / "missing") is None
    assert find_export(tmp_path) is None


def test_the_reduced_emulator_says_it_cannot_keep(tmp_path):
    with pytest.raises(RuntimeError, match="cannot import"):
        FirestoreEmulator(mode=REDUCED, import_from=tmp_path)
    assert not FirestoreEmulator(mode=REDUCED).can_keep
