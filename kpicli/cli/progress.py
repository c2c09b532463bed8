"""A spinner on stderr for slow steps (reading, aggregating, writing), only on a terminal.

Nothing is shown for steps that finish within ``delay`` seconds, when stderr is not a
terminal (piped, CI logs), with ``--quiet``, or when the output is a machine format: the
caller decides ``enabled``. The engine knows nothing of this; the CLI names the steps.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

DELAY = 2.0  # seconds before the spinner appears


def wanted(stream: TextIO | None = None) -> bool:
    """A spinner only makes sense on an interactive terminal that can move the cursor."""
    from kpicli.cli.app import dumb_terminal

    stream = stream or sys.stderr
    return not dumb_terminal() and bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """``with Progress(enabled) as p: p.say("reading x.csv"); ...`` (or ``with p.step(...)``)."""

    def __init__(
        self,
        enabled: bool,
        text: str = "working",
        *,
        delay: float = DELAY,
        stream: TextIO | None = None,
    ):
        self.enabled = enabled
        self.delay = delay
        self.stream = stream or sys.stderr
        self._text = text
        self._lock = threading.Lock()
        self._status: Any = None
        self._timer: threading.Timer | None = None
        self._closed = False
        self._t0 = time.monotonic()
        self._console: Any = None
        if enabled:
            from kpicli.cli.app import make_console

            self._console = make_console(self.stream)

    def __enter__(self) -> Progress:
        if self.enabled:
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def shown(self) -> bool:
        return self._status is not None

    def _label(self) -> str:
        return f"{self._text} ({time.monotonic() - self._t0:.0f} s)"

    def _show(self) -> None:
        with self._lock:
            if self._closed or self._status is not None:
                return
            self._status = self._console.status(self._label(), spinner="dots")
            self._status.start()
            self._tick()

    def _tick(self) -> None:
        """Refresh the elapsed seconds once a second while the spinner is up."""
        if self._closed or self._status is None:
            return
        self._status.update(self._label())
        t = threading.Timer(1.0, self._tick_locked)
        t.daemon = True
        t.start()

    def _tick_locked(self) -> None:
        with self._lock:
            self._tick()

    def say(self, text: str) -> None:
        """Name what is being done now (shown once the run takes longer than the delay)."""
        with self._lock:
            self._text = text
            if self._status is not None:
                self._status.update(self._label())

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        self.say(text)
        yield

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._status is not None:
                self._status.stop()
                self._status = None
