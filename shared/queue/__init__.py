"""Cloud Tasks: the adapter (`tasks.py`) and the typed messages it carries (`messages.py`)."""
