"""docs/ARCHITECTURE.md lists every module of the package, under its own package."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _documented() -> set[str]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    tree = text.split("```", 2)[1]  # the first fenced block is the package tree
    found: set[str] = set()
    stack: list[tuple[int, str]] = []  # (indent, package name) from kpicli/ down
    for line in tree.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        head = line.strip().split("  ")[0]  # names come before the description
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if re.fullmatch(r"\w+/", head):
            stack.append((indent, head[:-1]))
            continue
        prefix = "".join(name + "/" for _, name in stack[1:])  # stack[0] is kpicli/ itself
        for name in re.findall(r"\b(\w+\.py)\b", head):
            found.add(prefix + name)
    return found


def test_every_module_is_listed_under_its_package() -> None:
    pkg = ROOT / "kpicli"
    modules = {
        str(p.relative_to(pkg))
        for p in pkg.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    missing = sorted(modules - _documented())
    assert not missing, f"add these modules to docs/ARCHITECTURE.md: {missing}"
