"""Waking the threads that wait for something named by a key (a run that changed, a slot
that was freed), without polling: each waiter registers an event under its key, and
``wake(key)`` sets those events. Used by igny8.runs.signals and igny8.limits."""

import threading
from contextlib import contextmanager


class Wakeups:
    def __init__(self):
        self._lock = threading.Lock()
        self._waiters: dict = {}

    def wake(self, key) -> None:
        with self._lock:
            events = list(self._waiters.get(key, ()))
        for event in events:
            event.set()

    @contextmanager
    def watching(self, key, event: threading.Event | None = None):
        """An event (``event``, or a new one) set by every ``wake(key)`` while the block runs."""
        event = event or threading.Event()
        with self._lock:
            self._waiters.setdefault(key, set()).add(event)
        try:
            yield event
        finally:
            with self._lock:
                waiters = self._waiters[key]
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]
