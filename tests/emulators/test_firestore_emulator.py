import shutil

import pytest
import requests
from google.cloud import firestore

from emulators.firestore import OFFICIAL, REDUCED, FirestoreEmulator, find_official_jar


def test_session_emulator_isolates_projects(firestore_emulator):
    firestore.Client(project="iso-a").document("things/one").set({"n": 1})
    assert firestore.Client(project="iso-a").document("things/one").get().to_dict() == {"n": 1}
    assert not firestore.Client(project="iso-b").document("things/one").get().exists


@pytest.mark.full_firestore
def test_clear_empties_one_project(firestore_emulator):
    firestore.Client(project="clear-a").document("things/one").set({"n": 1})
    firestore.Client(project="clear-b").document("things/one").set({"n": 2})
    firestore_emulator.clear("clear-a")
    assert not firestore.Client(project="clear-a").document("things/one").get().exists
    assert firestore.Client(project="clear-b").document("things/one").get().exists


@pytest.mark.full_firestore
def test_official_emulator_answers_ok_and_refuses_a_taken_port(firestore_emulator):
    assert firestore_emulator.mode == OFFICIAL
    assert requests.get(f"http://{firestore_emulator.host}/", timeout=5).text.strip() == "Ok"
    with pytest.raises(OSError, match="in use"):
        FirestoreEmulator(port=firestore_emulator.port).start()


def test_jar_is_found_through_the_environment_variable(monkeypatch, tmp_path):
    jar = tmp_path / "emulator.jar"
    jar.write_bytes(b"")
    monkeypatch.setenv("FIRESTORE_EMULATOR_JAR", str(jar))
    assert find_official_jar() == jar
    monkeypatch.setenv("FIRESTORE_EMULATOR_JAR", str(tmp_path / "missing.jar"))
    assert find_official_jar() is None


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_reduced_fallback_serves_firestore(monkeypatch):
    with FirestoreEmulator(mode=REDUCED) as emulator:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host)
        client = firestore.Client(project="reduced")
        client.document("things/one").set({"n": 3})
        assert client.document("things/one").get().to_dict() == {"n": 3}
