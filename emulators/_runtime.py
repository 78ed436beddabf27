"""What every local stand-in's process needs: free ports, taken-port checks, a clean stop."""

from __future__ import annotations

import signal
import socket
import threading


def free_port() -> int:
    """A port nobody listens on right now (for servers that cannot bind port 0 themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_signal() -> threading.Event:
    """An event set by SIGINT (Ctrl-C) or SIGTERM, handled from now on: install it before
    saying "ready", so a signal sent at once stops cleanly instead of killing the process."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    return stopping


def wait_for_stop_signal() -> None:
    """Block the main thread until SIGINT (Ctrl-C) or SIGTERM."""
    stop_signal().wait()
