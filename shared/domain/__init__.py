"""The domain: records and the pure rules over them (states, transitions, choices).

No I/O here: nothing in this package talks to Firestore, Google, the queue or mail,
so every rule is tested by `tests/unit/` without emulators.
"""
