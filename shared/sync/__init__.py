"""The sync engine: what a worker's "needs a look" task does (`run.py`) and its steps."""
