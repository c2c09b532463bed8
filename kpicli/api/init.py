"""`kpi init`: copy a shipped example (kpis.yaml and its data) into a folder.

Contract: nothing is overwritten without ``force`` (the files that exist are named, exit 2);
a folder that is a file, or a target that is a folder, stops the run; the result names the
files written and the command to run next.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from kpicli.errors import KpiError

if TYPE_CHECKING:
    from kpicli.model.runs import InitResult

__all__ = ["DEFAULT_EXAMPLE", "EXAMPLES", "example_dir", "example_files", "init_project"]

EXAMPLES = ("ecommerce-cx", "sales", "support")
DEFAULT_EXAMPLE = "ecommerce-cx"
_EXTRA_ARGS = {"sales": " --by rep"}  # the example reads best with these report options


def _example_roots() -> list[Path]:
    """Where example sets live: inside an installed wheel, then in a source checkout."""
    import kpicli

    package = Path(kpicli.__file__).resolve().parent
    return [package / "_examples", package.parent / "examples"]


def example_dir(name: str) -> Path:
    """The folder holding example ``name`` (its kpis.yaml and data files)."""
    if name not in EXAMPLES:
        raise KpiError(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}")
    for root in _example_roots():
        folder = root / name
        if (folder / "kpis.yaml").is_file():
            return folder
    raise KpiError(
        f"the example files for {name!r} are missing from this installation "
        f"(looked in {', '.join(str(r) for r in _example_roots())})",
        hint="reinstall kpicli, or copy the examples folder from the source repository",
    )


def example_files(name: str) -> list[Path]:
    """The files of example ``name`` that ``kpi init`` copies: kpis.yaml first, then data."""
    folder = example_dir(name)
    files = [
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix in (".yaml", ".csv", ".xlsx")
    ]
    return sorted(files, key=lambda p: (p.name != "kpis.yaml", p.name))


def _shown(path: Path) -> str:
    text = str(path)
    return text if text == shlex.quote(text) else shlex.quote(text)


def init_project(
    directory: Path = Path("."), example: str = DEFAULT_EXAMPLE, *, force: bool = False
) -> InitResult:
    """Write example ``example`` into ``directory`` (created if missing)."""
    # Here, not at the top: the CLI imports this module for --help (the example names), and
    # the result models load pydantic.
    from kpicli.model.runs import InitResult

    example = example.strip().lower()
    sources = example_files(example)
    if directory.exists() and not directory.is_dir():
        raise KpiError(f"cannot write into {directory}: it is a file, not a folder")
    targets = [directory / src.name for src in sources]
    existing = [t.name for t in targets if t.exists()]
    if existing and not force:
        raise KpiError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} in "
            f"{directory}; pass --force to overwrite"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for src, dst in zip(sources, targets, strict=True):
            if dst.is_dir():
                raise KpiError(f"cannot write {dst}: it is a folder")
            shutil.copyfile(src, dst)
    except OSError as exc:
        raise KpiError(f"cannot write into {directory}: {exc.strerror or exc}") from None
    run = f"kpi report{_EXTRA_ARGS.get(example, '')}"
    here = directory.resolve() == Path.cwd().resolve()
    return InitResult(
        example=example,
        directory=directory,
        written=targets,
        next_step=run if here else f"cd {_shown(directory)} && {run}",
    )
