"""The hostile-input corpus: broken and malicious files, each with the outcome it must give.

Every case is built at test time in a temporary folder (nothing big is committed): a valid
``kpis.yaml`` and ``data.csv`` / ``data.xlsx`` to start from, then the one hostile file or
option the case is about. :data:`CASES` lists them; ``tests/test_corpus.py`` runs each one
through the real CLI and checks the exit status, the one-line ``kpi: error:`` message (which
names the file, and the line or cell where known), the time taken and that no input changed.

``python tests/corpus_cases.py DIR`` writes every case into ``DIR/<case>/`` to try by hand.
"""

from __future__ import annotations

import io
import os
import random
import stat
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

KPIS = """\
version: 1
title: Corpus scorecard
period: month
kpis:
  - id: revenue
    name: Monthly revenue
    description: Revenue booked in the month from all teams.
    owner: Sales lead
    unit: currency:EUR
    direction: higher
    measure: {column: revenue, aggregate: sum}
    target: 100
  - id: visits
    name: Site visits
    description: Visits to the web shop in the month.
    owner: Marketing lead
    unit: count
    measure: {column: visits, aggregate: sum}
    target: 1000
"""

ROWS = [
    ("2026-01-05", "North", 40, 300),
    ("2026-01-20", "South", 70, 500),
    ("2026-02-03", "North", 55, 400),
    ("2026-02-18", "South", 60, 700),
    ("2026-03-04", "North", 65, 450),
    ("2026-03-19", "South", 50, 520),
]
HEADER = ("date", "team", "revenue", "visits")


def data_csv() -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in ROWS]
    return ("\n".join(lines) + "\n").encode()


def data_xlsx(sheet: str = "Data") -> bytes:
    """A small real workbook (openpyxl) holding the same rows as :func:`data_csv`."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(HEADER))
    for d, team, revenue, visits in ROWS:
        ws.append([dt.datetime.fromisoformat(d), team, revenue, visits])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def kpis_with(measure_line: str = "", formula: str | None = None, data: str = "") -> str:
    """The base KPI file with an extra ``where:`` on revenue and/or a formula KPI, or a data: block."""
    text = KPIS
    if measure_line:
        text = text.replace(
            "    measure: {column: revenue, aggregate: sum}\n",
            "    measure:\n      column: revenue\n      aggregate: sum\n"
            f"      where: {measure_line}\n",
            1,
        )
    if formula is not None:
        text += (
            "  - id: per_visit\n"
            "    name: Revenue per visit\n"
            "    description: Revenue divided by the number of site visits.\n"
            "    owner: Sales lead\n"
            "    unit: currency:EUR\n"
            f"    formula: {formula}\n"
            "    target: 0.1\n"
        )
    if data:
        text = text.replace("period: month\n", f"period: month\n{data}", 1)
    return text


# ------------------------------------------------------------------------------ hostile YAML


def billion_laughs() -> bytes:
    """Nine levels of nine aliases: 9**9 (387 million) strings if anyone expanded it."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        ref = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([ref] * 9)}]")
    lines.append("kpis: *a9")
    return ("\n".join(lines) + "\n").encode()


def deep_flow_yaml(depth: int = 100_000) -> bytes:
    return b"kpis: " + b"[" * depth + b"]" * depth + b"\n"


def deep_block_yaml(depth: int = 1_000) -> bytes:
    lines = [" " * i + f"k{i}:" for i in range(depth)]
    return ("\n".join(lines) + " 1\n").encode()


def big_yaml(megabytes: int = 50) -> bytes:
    """A syntactically fine KPI file of ``megabytes`` MB (a list of KPIs, then padding)."""
    head = KPIS.encode()
    pad = b"# " + b"x" * 97 + b"\n"
    return head + pad * (megabytes * 1024 * 1024 // len(pad) + 1)


# --------------------------------------------------------------------------- hostile workbooks

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _cell(ref: str, value: object) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _sheet_rows() -> str:
    rows = []
    for i, row in enumerate([HEADER, *ROWS], start=1):
        cells = "".join(_cell(f"{'ABCD'[j]}{i}", v) for j, v in enumerate(row))
        rows.append(f'<row r="{i}">{cells}</row>')
    return "".join(rows)


def _xlsx(parts: dict[str, bytes | str], sheet: bytes | str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", parts.get("xl/workbook.xml", _WORKBOOK))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr(
            "xl/worksheets/sheet1.xml",
            sheet if sheet is not None else _SHEET_HEAD + _sheet_rows() + _SHEET_TAIL,
        )
    return buf.getvalue()


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from (name, raw deflate data, crc32, unpacked size), written by hand so the
    data of a bomb never has to exist uncompressed."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in members:
        offset = len(out)
        fname = name.encode()
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(fname), 0
        )
        out += fname + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(fname),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += fname
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0
    )
    return bytes(out)


def _deflated(name: str, text: str) -> tuple[str, bytes, int, int]:
    raw = text.encode()
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, co.compress(raw) + co.flush(), zlib.crc32(raw), len(raw)


def zip_bomb(path: Path, megabytes: int = 2047) -> None:
    """A workbook of about 2 MB whose sheet XML unpacks to ``megabytes`` MB of number cells
    (some 100 million of them: tens of GB once read into memory)."""
    row = b"<row>" + b"<c><v>1</v></c>" * 64 + b"</row>"
    chunk = row * (1024 * 1024 // len(row))
    head = (_SHEET_HEAD + _sheet_rows()).encode()
    tail = _SHEET_TAIL.encode()
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor starts afresh: the same chunk compresses to the same
    # bytes every time, so the deflate stream is the first block, one block repeated, a tail.
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    last = co.compress(tail) + co.flush()
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(chunk) * megabytes + len(tail)
    path.write_bytes(
        _zip(
            [
                _deflated("[Content_Types].xml", _CONTENT_TYPES),
                _deflated("_rels/.rels", _ROOT_RELS),
                _deflated("xl/workbook.xml", _WORKBOOK),
                _deflated("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                ("xl/worksheets/sheet1.xml", first + block * megabytes + last, crc, size),
            ]
        )
    )


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10))
    + "]>"
)


def entity_bomb_sheet_xlsx() -> bytes:
    """Billion laughs in the sheet XML: a text cell holds &lol9; (10**9 "lol"s if expanded)."""
    head = _SHEET_HEAD.replace("\n", "\n" + _LAUGHS, 1)
    rows = _sheet_rows().replace("<t>team</t>", "<t>&lol9;</t>")
    return _xlsx({}, head + rows + _SHEET_TAIL)


def entity_bomb_workbook_xlsx() -> bytes:
    """Billion laughs in workbook.xml (the sheet name), which defusedxml and calamine both see."""
    workbook = _WORKBOOK.replace("\n", "\n" + _LAUGHS, 1).replace('name="Data"', 'name="&lol9;"')
    return _xlsx({"xl/workbook.xml": workbook})


def no_worksheets_xlsx() -> bytes:
    """A workbook whose sheet list is empty (damaged, or only chart sheets)."""
    empty = _WORKBOOK.replace(
        '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>', "<sheets/>"
    )
    assert empty != _WORKBOOK
    return _xlsx({"xl/workbook.xml": empty})


def lying_zip_bomb(path: Path) -> None:
    """A 300 MB sheet whose zip headers claim 5 MB: the unpacker must not trust them."""
    zip_bomb(path, 300)
    with zipfile.ZipFile(path) as z:
        real = z.getinfo("xl/worksheets/sheet1.xml").file_size
    data = path.read_bytes()
    assert data.count(struct.pack("<I", real)) == 2  # the local and the central header
    path.write_bytes(data.replace(struct.pack("<I", real), struct.pack("<I", 5 * 1024 * 1024)))


def external_entity_xlsx() -> bytes:
    """An XXE attempt: a text cell defined as the contents of /etc/passwd."""
    head = _SHEET_HEAD.replace(
        "\n", '\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1
    )
    rows = _sheet_rows().replace("<t>team</t>", "<t>&xxe;</t>")
    return _xlsx({}, head + rows + _SHEET_TAIL)


def wide_csv(columns: int = 10_000, rows: int = 20) -> bytes:
    header = ["date"] + [f"m{j}" for j in range(columns - 1)]
    lines = [",".join(header)]
    for i in range(rows):
        lines.append(
            f"2026-01-{i % 28 + 1:02d}," + ",".join(str(j % 97) for j in range(columns - 1))
        )
    return ("\n".join(lines) + "\n").encode()


def noise(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


# ------------------------------------------------------------------------------------ cases


@dataclass
class Case:
    """One corpus entry.

    ``files``: name -> bytes, text, or a callable writing the file at that path.
    ``args``: the command line after ``kpi``; ``{dir}`` is replaced by the case folder.
    ``code``: the exit status; ``message``: text the one ``kpi: error:`` line (or, for
    exit 1 from validate, the findings on stdout) must contain; ``names``: the file (and
    line:col or cell) the message must name. ``readonly``: files made read-only first.
    """

    id: str
    files: dict[str, bytes | str | Callable[[Path], None]]
    args: list[str]
    code: int
    message: str
    names: str = ""
    readonly: tuple[str, ...] = ()
    subprocess: bool = False  # also run through `python -m kpicli` in a child process
    slow: bool = False  # writes a large file: share it, do not repeat it per command
    outputs: tuple[str, ...] = field(default=())  # files the command may create

    def build(self, root: Path) -> Path:
        folder = root / self.id
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            p = folder / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(p)
            elif isinstance(content, str):
                p.write_text(content, encoding="utf-8", newline="")
            else:
                p.write_bytes(content)
        for name in self.readonly:
            p = folder / name
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        return folder

    def argv(self, folder: Path) -> list[str]:
        return [a.replace("{dir}", str(folder)) for a in self.args]


def _report(*extra: str, data: str = "data.csv") -> list[str]:
    return ["report", "{dir}/kpis.yaml", "--data", f"{{dir}}/{data}", "--no-color", *extra]


def _validate(*extra: str) -> list[str]:
    return ["validate", "{dir}/kpis.yaml", "--format", "text", "--today", "2026-03-31", *extra]


GOOD = {"kpis.yaml": KPIS, "data.csv": data_csv()}


def _yaml_cases() -> list[Case]:
    """A hostile kpis.yaml: `report` cannot run (exit 2), `validate` reports findings (exit 1)."""
    hostile: list[tuple[str, bytes | str | Callable[[Path], None], str, str]] = [
        # id, content, message, where
        ("yaml-empty", b"", "E002 the file is empty", "kpis.yaml:1:1"),
        (
            "yaml-whitespace",
            b"\n   \n# only a comment\n",
            "E002 the file is empty",
            "kpis.yaml:1:1",
        ),
        (
            "yaml-tabs",
            KPIS.replace("    name: Monthly revenue", "\tname: Monthly revenue"),
            "E001 YAML syntax error: tab character used for indentation",
            "kpis.yaml:6:1",
        ),
        (
            "yaml-top-list",
            "- id: revenue\n- id: visits\n",
            "E002 the top level must be a mapping",
            "kpis.yaml:1:1",
        ),
        (
            "yaml-top-scalar",
            "just some words\n",
            "E002 the top level must be a mapping",
            "kpis.yaml:1:1",
        ),
        (
            "yaml-invalid-utf8",
            KPIS.encode().replace(b"Monthly revenue", b"Monthly r\xe9venue"),
            "E001 YAML syntax error: not valid UTF-8 (byte 0xe9)",
            "kpis.yaml:6:1",
        ),
        (
            "yaml-binary",
            noise(4096),
            "E001 YAML syntax error: this is a binary file",
            "kpis.yaml:1:1",
        ),
        (
            "yaml-alias-bomb",
            billion_laughs(),
            "E001 YAML syntax error: the file has more than 200,000 YAML nodes",
            "kpis.yaml:",
        ),
        (
            "yaml-deep-flow",
            deep_flow_yaml(),
            "E001 YAML syntax error: nesting deeper than 64 levels",
            "kpis.yaml:1:",
        ),
        (
            "yaml-deep-block",
            deep_block_yaml(),
            "E001 YAML syntax error: nesting deeper than 64 levels",
            "kpis.yaml:",
        ),
        (
            "yaml-python-name-tag",
            KPIS.replace("title: Corpus scorecard", 'title: !!python/name:os.system ""'),
            "E001 YAML syntax error: the tag !!python/name:os.system is not allowed",
            "kpis.yaml:2:8",
        ),
        (
            "yaml-python-apply-tag",
            KPIS.replace(
                "title: Corpus scorecard", 'title: !!python/object/apply:os.system ["touch pwned"]'
            ),
            "E001 YAML syntax error: the tag !!python/object/apply:os.system is not allowed",
            "kpis.yaml:2:8",
        ),
        (
            "yaml-50mb",
            lambda p: p.write_bytes(big_yaml(50)),
            "E001 YAML syntax error: the file is 50 MB, too big for a KPI file; the limit is 20 MB",
            "kpis.yaml:1:1",
        ),
        (
            "yaml-duplicate-key",
            KPIS.replace("    target: 100\n", "    target: 100\n    target: 90\n"),
            "E002 key 'target' appears twice",
            "kpis.yaml:13:5",
        ),
    ]
    cases = []
    for cid, content, message, where in hostile:
        files = {"kpis.yaml": content, "data.csv": data_csv()}
        cases.append(
            Case(
                f"{cid}-report",
                files,
                _report(),
                2,
                message,
                where,
                subprocess=cid in ("yaml-alias-bomb", "yaml-binary", "yaml-deep-flow"),
            )
        )
        cases.append(Case(f"{cid}-validate", files, _validate(), 1, message, where))
    return cases


def _data_cases() -> list[Case]:
    """A hostile data file: `report` and `validate --data` cannot run (exit 2)."""
    truncated = data_xlsx()
    hostile: list[tuple[str, str, bytes | Callable[[Path], None], str]] = [
        ("csv-empty", "data.csv", b"", "data.csv is empty"),
        (
            "csv-header-only",
            "data.csv",
            b"date,team,revenue,visits\n",
            "data.csv has a header but no data rows",
        ),
        (
            "csv-binary",
            "data.csv",
            b"\x00" + noise(8192),
            "data.csv is not a text file kpicli can read",
        ),
        (
            "csv-utf16",
            "data.csv",
            data_csv().decode().encode("utf-16"),
            "data.csv is not a text file kpicli can read",
        ),
        ("csv-is-a-workbook", "data.csv", data_xlsx(), "data.csv is a workbook, not a text file"),
        (
            "csv-10000-columns",
            "data.csv",
            wide_csv(),
            "data.csv has 10,000 columns; the limit is 2,000; if the file is genuine, raise it "
            "with `kpi --limit columns=N ...`",
        ),
        (
            "csv-ragged",
            "data.csv",
            data_csv() + b"2026-03-25,North,1,2,3,4\n" + b"2026-03-26,North,1,2\n" * 3,
            "data.csv: line 8 has more fields than the header",
        ),
        ("xlsx-random-bytes", "data.xlsx", noise(20_000), "data.xlsx is not an Excel workbook"),
        ("xlsx-empty", "data.xlsx", b"", "data.xlsx is empty (0 bytes)"),
        (
            "xlsx-truncated",
            "data.xlsx",
            truncated[: len(truncated) // 2],
            "cannot read data.xlsx: the workbook is damaged",
        ),
        (
            "xlsx-csv-renamed",
            "data.xlsx",
            data_csv(),
            "data.xlsx is not an Excel workbook: it contains plain text",
        ),
        (
            "xlsx-zip-bomb",
            "data.xlsx",
            zip_bomb,
            "data.xlsx unpacks to 2,045 MB (6 MB on disk): a zip bomb",
        ),
        (
            "xlsx-no-worksheets",
            "data.xlsx",
            no_worksheets_xlsx(),
            "data.xlsx has no worksheets kpicli can read",
        ),
        (
            "xlsx-lying-zip-bomb",
            "data.xlsx",
            lying_zip_bomb,
            "cannot read sheet 'Data' of data.xlsx: I/O error: File is larger than its declared "
            "uncompressed size",
        ),
        (
            "xlsx-entity-bomb-sheet",
            "data.xlsx",
            entity_bomb_sheet_xlsx(),
            "cannot read sheet 'Data' of data.xlsx: at 0..0: unrecognized entity `&lol9;`",
        ),
        (
            "xlsx-entity-bomb-workbook",
            "data.xlsx",
            entity_bomb_workbook_xlsx(),
            "cannot read data.xlsx: the workbook is damaged or not a supported format "
            "(at 1..5: unrecognized entity `lol9`)",
        ),
        (
            "xlsx-external-entity",
            "data.xlsx",
            external_entity_xlsx(),
            "cannot read sheet 'Data' of data.xlsx: at 0..0: unrecognized entity `&xxe;`",
        ),
        (
            "xlsx-zip-not-workbook",
            "data.xlsx",
            _zip_of({"hello.txt": b"hi"}),
            "cannot read data.xlsx",
        ),
    ]
    cases = []
    for cid, name, content, message in hostile:
        files = {"kpis.yaml": KPIS, name: content}
        big = cid in ("xlsx-zip-bomb", "xlsx-lying-zip-bomb")
        cases.append(
            Case(
                f"{cid}-report",
                files,
                _report(data=name),
                2,
                message,
                name,
                subprocess=cid in ("xlsx-random-bytes", "xlsx-zip-bomb", "csv-binary"),
                slow=big,
            )
        )
        if not big:
            cases.append(
                Case(
                    f"{cid}-validate",
                    files,
                    [*_validate(), "--data", f"{{dir}}/{name}"],
                    2,
                    message,
                    name,
                )
            )
    return cases


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def _option_cases() -> list[Case]:
    """Bad options and outputs over good inputs."""
    xlsx_files = {
        "kpis.yaml": kpis_with(data="data:\n  path: data.xlsx\n  sheet: Nope\n"),
        "data.xlsx": data_xlsx(),
    }
    return [
        Case(
            "wrong-sheet-name",
            xlsx_files,
            ["report", "{dir}/kpis.yaml", "--no-color"],
            2,
            "data.xlsx has no sheet 'Nope'; sheets: 'Data'",
            "data.xlsx",
        ),
        Case(
            "wrong-sheet-name-validate",
            xlsx_files,
            _validate(),
            1,
            "M206 the data named here cannot be read: data.xlsx has no sheet 'Nope'",
            "kpis.yaml:5:9",
        ),
        Case(
            "csv-escape-in-header",
            {"kpis.yaml": KPIS, "data.csv": data_csv().replace(b"team", b"te\x1b[2Jam")},
            _report("--by", "team"),
            2,
            "cannot break down by 'team': no such column in the data; did you mean "
            "'te\\x1b[2Jam'? columns: te␛[2Jam, revenue, visits",
            "",
        ),
        Case("unknown-period", GOOD, _report("--period", "banana"), 2, "banana", ""),
        Case(
            "period-outside-data", GOOD, _report("--period", "2031-01"), 2, "outside the data", ""
        ),
        Case(
            "output-equals-input",
            GOOD,
            _report("-o", "{dir}/data.csv", "--format", "csv"),
            2,
            "refusing to write {dir}/data.csv: it is one of the input files",
            "data.csv",
        ),
        Case(
            "output-equals-kpi-file",
            GOOD,
            _report("-o", "{dir}/kpis.yaml", "--format", "json"),
            2,
            "it is one of the input files",
            "kpis.yaml",
        ),
        Case(
            "output-xlsx-equals-input",
            {"kpis.yaml": KPIS, "data.xlsx": data_xlsx()},
            _report("-o", "{dir}/data.xlsx", data="data.xlsx"),
            2,
            "it is one of the input files",
            "data.xlsx",
        ),
        Case(
            "output-missing-folder",
            GOOD,
            _report("-o", "{dir}/missing/review.xlsx"),
            2,
            "cannot write {dir}/missing/review.xlsx: folder {dir}/missing does not exist",
            "review.xlsx",
        ),
        Case(
            "output-read-only-file",
            {**GOOD, "review.md": b"# last month\n"},
            _report("-o", "{dir}/review.md"),
            2,
            "cannot write {dir}/review.md: the file is read-only",
            "review.md",
            readonly=("review.md",),
        ),
        Case(
            "output-symlink-to-input",
            {**GOOD, "link.csv": lambda p: p.symlink_to(p.parent / "data.csv")},
            _report("-o", "{dir}/link.csv", "--format", "csv"),
            2,
            "refusing to write {dir}/link.csv: it is one of the input files",
            "link.csv",
        ),
        Case(
            "output-hardlink-to-input",
            {**GOOD, "link.csv": lambda p: os.link(p.parent / "data.csv", p)},
            _report("-o", "{dir}/link.csv", "--format", "csv"),
            2,
            "refusing to write {dir}/link.csv: it is one of the input files",
            "link.csv",
        ),
        Case(
            "output-is-a-folder",
            {**GOOD, "out/keep.txt": b"x"},
            _report("-o", "{dir}/out", "--format", "json"),
            2,
            "cannot write {dir}/out: it is a folder",
            "out",
        ),
        Case(
            "output-equals-data-path",  # data.path is relative to the KPI file, not to cwd
            {
                "sub/kpis.yaml": kpis_with(data="data:\n  path: data.csv\n"),
                "sub/data.csv": data_csv(),
            },
            ["report", "{dir}/sub/kpis.yaml", "-o", "{dir}/sub/data.csv", "-f", "csv"],
            2,
            "refusing to write {dir}/sub/data.csv: it is one of the input files",
            "data.csv",
        ),
        Case(
            "validate-output-equals-data-path",
            {
                "sub/kpis.yaml": kpis_with(data="data:\n  path: data.csv\n"),
                "sub/data.csv": data_csv(),
            },
            ["validate", "{dir}/sub/kpis.yaml", "-o", "{dir}/sub/data.csv"],
            2,
            "refusing to write {dir}/sub/data.csv: it is one of the input files",
            "data.csv",
        ),
        Case(
            "validate-output-equals-workbook",
            {"kpis.yaml": KPIS, "data.xlsx": data_xlsx()},
            [*_validate(), "--data", "{dir}/data.xlsx", "-o", "{dir}/data.xlsx"],
            2,
            "refusing to write {dir}/data.xlsx: it is one of the input files",
            "data.xlsx",
        ),
        Case(
            "validate-output-equals-input",
            GOOD,
            [*_validate(), "-o", "{dir}/kpis.yaml"],
            2,
            "it is one of the input files",
            "kpis.yaml",
        ),
        Case(
            "kpi-file-is-dev-zero",
            {"kpis.yaml": lambda p: p.symlink_to("/dev/zero"), "data.csv": data_csv()},
            _report(),
            2,
            "E001 YAML syntax error: not a regular file (a device, pipe or socket)",
            "kpis.yaml:1:1",
        ),
        Case(
            "data-file-is-dev-urandom",
            {"kpis.yaml": KPIS, "data.csv": lambda p: p.symlink_to("/dev/urandom")},
            _report(),
            2,
            "data.csv is not a regular file (a device, pipe or socket)",
            "data.csv",
        ),
        Case(
            "data-file-is-a-pipe",
            {"kpis.yaml": KPIS, "data.csv": lambda p: os.mkfifo(p)},
            _report(),
            2,
            "data.csv is not a regular file (a device, pipe or socket)",
            "data.csv",
        ),
        Case(
            "kpi-file-missing",
            GOOD,
            ["report", "{dir}/nope.yaml"],
            2,
            "KPI file not found",
            "nope.yaml",
        ),
        Case(
            "data-file-missing",
            GOOD,
            _report(data="nope.csv"),
            2,
            "data file not found",
            "nope.csv",
        ),
        Case(
            "kpi-file-is-folder",
            {**GOOD, "sub/x": b""},
            ["report", "{dir}/sub"],
            2,
            "is a folder",
            "sub",
        ),
    ]


# Expressions that must never run: (case id, where or formula, message, column of the caret)
EXPRESSIONS: list[tuple[str, str, str, str]] = [
    ("expr-import", "where", "__import__('os').system('touch pwned')", "__import__"),
    ("expr-dunder-walk", "where", "().__class__.__bases__[0].__subclasses__()", "__class__"),
    ("expr-attribute", "where", "team.upper() == 'NORTH'", "team.upper"),
    ("expr-lambda", "where", "(lambda: 1)() == 1", "lambda"),
    ("expr-listcomp", "where", "[x for x in team] == 1", "comprehension"),
    ("expr-genexp", "where", "sum(x for x in revenue) > 0", "sum"),
    ("expr-walrus", "where", "(x := revenue) > 0", ":="),
    ("expr-fstring", "where", "f'{revenue}' == '1'", "f-string"),
    ("expr-subscript", "where", "team[0] == 'N'", "indexing and slicing"),
    ("expr-huge-power", "where", "revenue > 10**10**10", "exponent"),
    ("expr-deep-nesting", "where", "not " * 400 + "revenue > 0", "nested more than 50 levels"),
    ("expr-too-long", "where", "revenue > 0" + " or revenue > 0" * 150, "the limit is 2000"),
    ("expr-syntax", "where", "revenue >>> 0", "E006 where filter cannot be read: syntax error"),
    ("expr-formula-import", "formula", "__import__('os').getcwd()", "__import__"),
    ("expr-formula-power", "formula", "revenue ** 10**10 / visits", "exponent"),
    ("expr-formula-attr", "formula", "revenue.__class__", "__class__"),
    ("expr-formula-eval", "formula", "eval('1')", "eval"),
]


def _expression_cases() -> list[Case]:
    cases = []
    for cid, kind, text, needle in EXPRESSIONS:
        quoted = '"' + text.replace('"', '\\"') + '"'
        kpis = kpis_with(measure_line=quoted) if kind == "where" else kpis_with(formula=quoted)
        files = {"kpis.yaml": kpis, "data.csv": data_csv()}
        # The finding points at the filter or formula's own line and column.
        where = "kpis.yaml:14:14: E006" if kind == "where" else "kpis.yaml:25:14: E006"
        cases.append(
            Case(
                f"{cid}-report",
                files,
                _report(),
                2,
                needle,
                where,
                subprocess=cid == "expr-import",
            )
        )
        cases.append(
            Case(
                f"{cid}-validate",
                files,
                _validate(),
                1,
                needle,
                where.replace("E006", "E006 error"),
            )
        )
    return cases


CASES: list[Case] = [*_yaml_cases(), *_data_cases(), *_option_cases(), *_expression_cases()]


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "corpus")
    for case in CASES:
        folder = case.build(root)
        print(f"{folder}: kpi {' '.join(case.argv(folder))}  -> exit {case.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
