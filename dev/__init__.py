"""Local developer tools: the `make run` launcher and commands against the running stack.

Not deployed. May import product code (`shared/`, `functions/`) and the emulators;
nothing in `shared/` or `emulators/` imports this package.
"""
