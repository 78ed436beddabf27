"""Use cases: one module per job, each called by one thin entry point in `functions/`."""
