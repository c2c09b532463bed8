"""Safe YAML loading that keeps the line and column of every node."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kpicli import limits as _limits

try:  # libyaml is much faster; the pure-Python loader gives the same marks.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]
# The pure-Python loader has no nesting limit of its own: it re-checks depth when libyaml stops
# a deeply nested file with its own error, so the user reads kpicli's message and position.
from yaml import SafeLoader as _PyLoader

# The tags plain YAML data uses; anything else (``!!python/name:…``, ``!Ref``) is refused by
# kpicli itself rather than left to PyYAML's constructor or turned into a list or a string.
_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
)

Path_ = tuple[str | int, ...]

# Bounds that keep hostile files (alias bombs, deep nesting, huge files) cheap to reject live in
# kpicli.limits (yaml_nodes, yaml_depth, kpi_file_size) and can be changed per run.


class YamlError(Exception):
    """YAML that cannot be read; carries a 1-based position when the parser knows it."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class LoadedYaml:
    """Plain Python data plus the 1-based (line, column) of each node, keyed by its path."""

    data: Any
    source: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path_, int, int]] = field(default_factory=list)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Closest known position for ``path``: the node itself, else its nearest parent."""
        table = self.key_positions if key else self.positions
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))


_scalar_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
yaml.constructor.SafeConstructor.__init__(_scalar_constructor)


def _scalar(node: yaml.ScalarNode) -> Any:
    return _scalar_constructor.construct_object(node, deep=True)


def _check_depth(text: str, limit: int | None) -> None:
    """Refuse nesting deeper than ``limit`` from the event stream, before composing nodes.

    libyaml's composer recurses in C: a few thousand ``[`` crash the interpreter and its
    scanner slows quadratically with depth, so the check stops at the first level too deep.
    """
    if limit is None:
        return
    try:
        _scan_depth(_Loader, text, limit)
    except yaml.YAMLError:
        # libyaml (0.2.5 as bundled with newer PyYAML wheels) stops nesting past 1,000 levels
        # with an error of its own while it scans ahead, before the event where kpicli's limit
        # is reached. Re-scan with the pure-Python parser, which stops at kpicli's limit; a
        # file that is not too deep raises its genuine syntax error there.
        _scan_depth(_PyLoader, text, limit)
        raise


def _scan_depth(loader_class: type, text: str, limit: int) -> None:
    loader = loader_class(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > limit:
                    raise YamlError(
                        f"nesting deeper than {limit} levels; "
                        + _limits.exceeded("yaml_depth", limit),
                        event.start_mark.line + 1,
                        event.start_mark.column + 1,
                    )
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def _convert(root: yaml.Node, loaded: LoadedYaml) -> Any:
    count = 0
    max_nodes = _limits.current().yaml_nodes
    max_depth = _limits.current().yaml_depth

    def walk(node: yaml.Node, path: Path_, depth: int) -> Any:
        nonlocal count
        count += 1
        if max_nodes is not None and count > max_nodes:
            raise YamlError(
                f"the file has more than {max_nodes:,} YAML nodes once aliases are expanded; "
                "refusing to expand it (an alias bomb?); "
                + _limits.exceeded("yaml_nodes", max_nodes),
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if max_depth is not None and depth > max_depth:
            raise YamlError(
                f"nesting deeper than {max_depth} levels; "
                + _limits.exceeded("yaml_depth", max_depth),
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        loaded.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _PLAIN_TAGS:
            raise YamlError(
                f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed: "
                "a KPI file holds plain values (text, numbers, dates, lists and mappings); "
                "remove the tag",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merged = walk(value_node, path, depth + 1)
                    if isinstance(merged, dict):
                        for k, v in merged.items():
                            out.setdefault(k, v)
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlError(
                        "mapping keys must be plain values",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    )
                key = _scalar(key_node)
                if isinstance(key, int | float) and not isinstance(key, bool):
                    key = str(key)
                elif hasattr(key, "isoformat"):
                    key = key.isoformat()
                kpos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in out:
                    loaded.duplicate_keys.append(((*path, key), *kpos))
                loaded.key_positions[(*path, key)] = kpos
                out[key] = walk(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return _scalar(node)

    return walk(root, (), 0)


def load_yaml_text(text: str, source: str = "<string>") -> LoadedYaml:
    """Parse YAML text into plain data with positions; raise YamlError on bad input."""
    loaded = LoadedYaml(data=None, source=source)
    max_bytes = _limits.current().kpi_file_size
    if max_bytes is not None and len(text) > max_bytes:
        raise YamlError(
            f"the text is longer than {_limits.size_text(max_bytes)}, too big for a KPI file; "
            + _limits.exceeded("kpi_file_size", max_bytes)
        )
    if "\t" in text:
        # YAML forbids tabs for indentation; say so plainly instead of a parser riddle.
        for lineno, line in enumerate(text.splitlines(), 1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise YamlError(
                    "tab character used for indentation; YAML needs spaces",
                    lineno,
                    len(line) - len(stripped) + 1,
                )
    try:
        _check_depth(text, _limits.current().yaml_depth)
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if mark is not None:
            raise YamlError(problem, mark.line + 1, mark.column + 1) from None
        raise YamlError(problem) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "syntax error") from None
    if root is None:
        loaded.data = None
        return loaded
    try:
        loaded.data = _convert(root, loaded)
    except RecursionError:
        raise YamlError("nesting too deep to read") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(
            getattr(exc, "problem", None) or "cannot read value",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    return loaded


def read_text(path: Path) -> str:
    """Read a definition file as UTF-8 (BOM allowed), with clear errors."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        # A symlink to /dev/zero or a named pipe would never end (or never start).
        raise YamlError("not a regular file (a device, pipe or socket); pass a KPI file")
    size = st.st_size
    max_bytes = _limits.current().kpi_file_size
    if max_bytes is not None and size > max_bytes:
        raise YamlError(
            f"the file is {_limits.size_text(size)}, too big for a KPI file; "
            + _limits.exceeded("kpi_file_size", max_bytes)
        )
    with path.open("rb") as fh:  # bounded: the file may grow while it is read
        raw = fh.read(max_bytes + 1) if max_bytes is not None else fh.read()
    if max_bytes is not None and len(raw) > max_bytes:
        raise YamlError(
            "the file grew beyond the KPI file size limit while it was read; "
            + _limits.exceeded("kpi_file_size", max_bytes)
        )
    if b"\x00" in raw[:8192]:
        raise YamlError("this is a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line
        ) from None


def load_yaml_file(path: Path) -> LoadedYaml:
    return load_yaml_text(read_text(path), str(path))
