"""Starting real servers in tests and waiting for them with a deadline."""

import socket
import subprocess
import time

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


POLL_INTERVAL = 0.5


def poll_until(condition, timeout: float, what: str, process: subprocess.Popen, interval: float = POLL_INTERVAL):
    """Return ``condition()`` once truthy; fail at the deadline or as soon as the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        try:
            code = process.wait(timeout=interval)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"{process.args[0]} exited with {code} while waiting for {what}")
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False
