"""The spinner for slow steps: only when enabled, gone when the step ends, never on pipes."""

from __future__ import annotations

import io
import time

from kpicli.cli.progress import Progress, wanted


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_wanted_on_a_pipe() -> None:
    assert not wanted(io.StringIO())
    assert wanted(_Tty())


def test_disabled_progress_writes_nothing() -> None:
    out = io.StringIO()
    with Progress(False, "reading", delay=0, stream=out) as p:
        p.say("computing")
        time.sleep(0.05)
        assert not p.shown
    assert out.getvalue() == ""


def test_fast_steps_show_nothing() -> None:
    out = _Tty()
    with Progress(True, "reading", delay=5, stream=out) as p:
        p.say("computing")
    assert not p.shown
    assert out.getvalue() == ""


def test_slow_step_shows_the_spinner_and_clears_it() -> None:
    out = _Tty()
    with Progress(True, "reading data.csv", delay=0.01, stream=out) as p:
        deadline = time.monotonic() + 5
        while not p.shown and time.monotonic() < deadline:
            time.sleep(0.01)
        assert p.shown
        with p.step("computing the scorecard"):
            time.sleep(0.2)
    assert not p.shown
    text = out.getvalue()
    assert "reading data.csv" in text or "computing the scorecard" in text
