"""Firestore: the building blocks (`firestore.py`) and typed reads of records (`records.py`)."""
