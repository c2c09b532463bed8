"""Atomic output: write to a temporary file beside the target, then rename into place."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from kpicli.errors import KpiError


def check_output_path(output: Path, inputs: Iterable[Path] = ()) -> Path:
    """Refuse an output that is one of the inputs or whose folder does not exist."""
    out = output.expanduser()
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise KpiError(f"cannot write {output}: folder {parent} does not exist")
    if out.is_dir():
        raise KpiError(f"cannot write {output}: it is a folder")
    resolved = out.resolve()
    for p in inputs:
        try:
            q = Path(p).expanduser()
            # The same path, a symlink to it, or another name (hard link) of the same file.
            if q.resolve() == resolved or (out.exists() and os.path.samefile(q, out)):
                raise KpiError(f"refusing to write {output}: it is one of the input files")
        except OSError:
            continue
    return out


def _read_only(path: Path) -> bool:
    """No write permission for us, or (when we are root, who may write anyway) for anyone."""
    if not os.access(path, os.W_OK):
        return True
    try:
        return not stat.S_IMODE(path.stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    except OSError:
        return False


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's) data to disk, so a crash after the rename cannot leave an
    empty or partial report under the final name."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # a folder that cannot be opened for reading (some platforms): nothing to sync
    try:
        os.fsync(fd)
    except OSError:
        # Filesystems without fsync for folders answer EINVAL; a failed data flush is real.
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


def write_atomic(output: Path, write: Callable[[Path], None], inputs: Iterable[Path] = ()) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``output``.

    On any failure the temporary file is removed and an existing ``output`` is untouched.
    """
    out = check_output_path(output, inputs)
    if out.exists() and _read_only(out):
        raise KpiError(f"cannot write {output}: the file is read-only")
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or "."
        )
    except OSError as exc:
        raise KpiError(f"cannot write {output}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    existed = out.exists()
    try:
        write(tmp)
        if out.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, out.stat().st_mode & 0o777)
        else:
            # mkstemp creates 0600; a report is an ordinary file.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        _fsync(tmp)
        os.replace(tmp, out)
        # The rename itself is durable only once the folder's entry is on disk.
        _fsync(out.parent if str(out.parent) else Path("."))
    except OSError as exc:  # disk full, file too large, permissions: say so, keep the old file
        with contextlib.suppress(OSError):
            tmp.unlink()
        kept = "; the existing file is unchanged" if existed else ""
        raise KpiError(f"cannot write {output}: {exc.strerror or exc}{kept}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text_atomic(output: Path, text: str, inputs: Iterable[Path] = ()) -> None:
    write_atomic(output, lambda p: p.write_text(text, encoding="utf-8", newline=""), inputs)
