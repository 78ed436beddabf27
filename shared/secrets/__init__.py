"""Secrets: sealing at rest (`crypto.py`), where each secret lives (`locations.py`), and the
signed tokens we hand out (`signing.py`)."""
