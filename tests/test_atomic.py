"""Atomic, durable output: data and folder entry flushed before the report is in place."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from kpicli.errors import KpiError
from kpicli.writers import atomic


def test_file_and_folder_are_synced_before_and_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        events.append("fsync-dir" if os.path.isdir(target) else "fsync-file:" + Path(target).name)
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    out = tmp_path / "report.json"
    atomic.write_text_atomic(out, "{}\n")
    assert out.read_text() == "{}\n"
    assert len(events) == 3
    assert events[0].startswith("fsync-file:.report.json.")
    assert events[1:] == ["rename", "fsync-dir"]


def test_a_failed_data_flush_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.md"
    out.write_text("old\n")

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(KpiError) as caught:
        atomic.write_text_atomic(out, "new\n")
    assert "the existing file is unchanged" in str(caught.value)
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary file left
