"""Atomic output: write to a temporary file beside the target, then rename into place."""

from __future__ import annotations

import contextlib
import os
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
            if Path(p).expanduser().resolve() == resolved:
                raise KpiError(f"refusing to write {output}: it is one of the input files")
        except OSError:
            continue
    return out


def write_atomic(output: Path, write: Callable[[Path], None], inputs: Iterable[Path] = ()) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``output``.

    On any failure the temporary file is removed and an existing ``output`` is untouched.
    """
    out = check_output_path(output, inputs)
    if out.exists() and not os.access(out, os.W_OK):
        raise KpiError(f"cannot write {output}: the file is read-only")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
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
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text_atomic(output: Path, text: str, inputs: Iterable[Path] = ()) -> None:
    write_atomic(output, lambda p: p.write_text(text, encoding="utf-8", newline=""), inputs)
