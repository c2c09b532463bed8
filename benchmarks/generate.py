"""Deterministic benchmark inputs: long CSV/XLSX, a records-layout CSV and a 500-KPI file.

Everything is derived from one seed, so two runs (or two machines) measure the same bytes.
Files are written once into ``benchmarks/out/data`` and reused while their name matches;
the name carries the size and the seed.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

SEED = 20260101
N_KPIS = 20
N_TEAMS = 25
START = dt.date(2023, 1, 1)
DAYS = (dt.date(2026, 1, 1) - START).days  # three years: 2023-01-01 .. 2025-12-31
N_MEASURES = 10

# (aggregate, unit, direction) cycled over the KPIs; four aggregate kinds, five KPIs each.
_KINDS = [
    ("sum", "count", "higher"),
    ("mean", "hours", "lower"),
    ("count", "count", "higher"),
    ("max", "minutes", "lower"),
]


def kpi_ids(n: int = N_KPIS) -> list[str]:
    return [f"kpi_{i + 1:02d}" for i in range(n)]


def team_names(n: int = N_TEAMS) -> list[str]:
    return [f"Team {i + 1:02d}" for i in range(n)]


def kpi_kind(i: int) -> tuple[str, str, str]:
    return _KINDS[i % len(_KINDS)]


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([SEED, salt])


def _long_columns(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(day offset, team index, kpi index, value) per row, sorted by date like an export."""
    rng = _rng(rows)
    day = np.sort(rng.integers(0, DAYS, rows, dtype=np.int32))
    team = rng.integers(0, N_TEAMS, rows, dtype=np.int16)
    kpi = rng.integers(0, N_KPIS, rows, dtype=np.int16)
    level = 50.0 + 10.0 * np.arange(N_KPIS)
    trend = 1.0 + 0.1 * day / DAYS  # a slow upward drift so targets flip over time
    value = np.round(level[kpi] * trend * rng.lognormal(0.0, 0.25, rows), 2)
    return day, team, kpi, value


def _day_labels() -> np.ndarray:
    return np.array(
        [(START + dt.timedelta(days=int(d))).isoformat() for d in range(DAYS)], dtype=object
    )


def _write_csv(path: Path, header: list[str], columns: list[np.ndarray]) -> None:
    """Join columns of text into CSV lines, a chunk at a time (no quoting needed here)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    n = len(columns[0])
    step = 500_000
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for lo in range(0, n, step):
            parts = [c[lo : lo + step] for c in columns]
            line = parts[0].astype(object)
            for p in parts[1:]:
                line = line + "," + p.astype(object)
            fh.write("\n".join(line.tolist()))
            fh.write("\n")
    tmp.replace(path)


def _values_text(values: np.ndarray) -> np.ndarray:
    return np.char.mod("%.2f", values).astype(object)


def long_csv(out: Path, rows: int) -> Path:
    """date,team,kpi,value — one row per measurement, 20 KPIs x 25 teams x 3 years."""
    path = out / f"long_{_size(rows)}_s{SEED}.csv"
    if path.exists():
        return path
    day, team, kpi, value = _long_columns(rows)
    days = _day_labels()
    teams = np.array(team_names(), dtype=object)
    kpis = np.array(kpi_ids(), dtype=object)
    _write_csv(
        path,
        ["date", "team", "kpi", "value"],
        [days[day], teams[team], kpis[kpi], _values_text(value)],
    )
    return path


def records_csv(out: Path, rows: int) -> Path:
    """date,team,m01..m10 — one row per event with ten measure columns."""
    path = out / f"records_{_size(rows)}_s{SEED}.csv"
    if path.exists():
        return path
    rng = _rng(rows + 7)
    day = np.sort(rng.integers(0, DAYS, rows, dtype=np.int32))
    team = rng.integers(0, N_TEAMS, rows, dtype=np.int16)
    cols = [_day_labels()[day], np.array(team_names(), dtype=object)[team]]
    for j in range(N_MEASURES):
        v = np.round((10.0 + 5 * j) * rng.lognormal(0.0, 0.3, rows), 2)
        cols.append(_values_text(v))
    header = ["date", "team", *[f"m{j + 1:02d}" for j in range(N_MEASURES)]]
    _write_csv(path, header, cols)
    return path


# ----------------------------------------------------------------------------- xlsx

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
# Style 1: a date (number format 14), as Excel stores date cells.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def long_xlsx(out: Path, rows: int) -> Path:
    """The long CSV's rows as an .xlsx sheet, written the way Excel stores them.

    Dates are date-formatted serial numbers, team and KPI shared strings, values numbers.
    Written directly as SpreadsheetML (openpyxl would take longer than the benchmark).
    """
    path = out / f"long_{_size(rows)}_s{SEED}.xlsx"
    if path.exists():
        return path
    day, team, kpi, value = _long_columns(rows)
    strings = ["date", "team", "kpi", "value", *team_names(), *kpi_ids()]
    serial0 = (START - dt.date(1899, 12, 30)).days
    r = np.arange(2, rows + 2).astype(str).astype(object)
    serial = (day + serial0).astype(str).astype(object)
    team_s = (team.astype(np.int64) + 4).astype(str).astype(object)
    kpi_s = (kpi.astype(np.int64) + 4 + N_TEAMS).astype(str).astype(object)
    val_s = np.char.mod("%.2f", value).astype(object)
    body = (
        '<row r="'
        + r
        + '"><c r="A'
        + r
        + '" s="1"><v>'
        + serial
        + '</v></c><c r="B'
        + r
        + '" t="s"><v>'
        + team_s
        + '</v></c><c r="C'
        + r
        + '" t="s"><v>'
        + kpi_s
        + '</v></c><c r="D'
        + r
        + '"><v>'
        + val_s
        + "</v></c></row>"
    )
    header = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD"))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:D{rows + 1}"/><sheetData><row r="1">{header}</row>'
        + "".join(body.tolist())
        + "</sheetData></worksheet>"
    )
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>"
    )
    tmp = path.with_suffix(".xlsx.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        zf.writestr("xl/sharedStrings.xml", sst)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    tmp.replace(path)
    return path


# ----------------------------------------------------------------------------- KPI files


def _kpi_block(kid: str, i: int, column: str | None, objective: str) -> str:
    how, unit, direction = kpi_kind(i)
    target = 1000 + 37 * i
    lines = [
        f"  - id: {kid}",
        f"    name: KPI {kid[-2:] if column is None else kid}",
        f"    description: Generated benchmark KPI {i + 1} ({how} of the measure per month).",
        f"    objective: {objective}",
        f"    owner: Owner {i % 7 + 1}",
        f"    unit: {unit}",
        f"    direction: {direction}",
        f"    measure: {{column: {column or kid}, aggregate: {how}}}",
    ]
    if i % 3 == 0:  # a time-bound target with a baseline on the far side of it
        start = target * (0.8 if direction == "higher" else 1.25)
        lines.append(f"    baseline: {{value: {start:g}, period: 2023-06}}")
        lines.append(f"    target: {{value: {target}, due: 2026-12}}")
    else:
        lines.append(f"    target: {target}")
    return "\n".join(lines)


def _header(title: str, data: str, objectives: int = 2) -> str:
    perspectives = ("customer", "internal", "financial", "learning")
    return (
        "version: 1\n"
        f"title: {title}\n"
        "period: month\n"
        f"{data}"
        "objectives:\n"
        + "".join(
            f"  - id: {_objective(j)}\n    title: Objective {j + 1}\n"
            f"    perspective: {perspectives[j % 4]}\n    owner: Owner {j + 1}\n"
            for j in range(objectives)
        )
        + "kpis:\n"
    )


def _objective(j: int) -> str:
    return "obj-" + (chr(97 + j) if j < 26 else f"{j + 1:03d}")


def long_kpis(out: Path) -> Path:
    """The 20 KPIs of the long files, plus one ratio formula on the aggregated values."""
    path = out / "kpis_long.yaml"
    data = "data:\n  layout: long\n  kpi_column: kpi\n  value_column: value\n  date_column: date\n"
    blocks = [
        _kpi_block(k, i, None, "obj-a" if i % 2 else "obj-b") for i, k in enumerate(kpi_ids())
    ]
    blocks.append(
        "  - id: ratio_01_02\n    name: Ratio of KPI 01 to KPI 02\n"
        "    description: A formula evaluated on the monthly aggregates.\n"
        "    objective: obj-a\n    owner: Owner 1\n    unit: ratio\n    direction: higher\n"
        "    formula: kpi_01 / kpi_02\n    target: 1.5"
    )
    _write_if_changed(path, _header("Benchmark (long)", data) + "\n".join(blocks) + "\n")
    return path


def records_kpis(out: Path) -> Path:
    path = out / "kpis_records.yaml"
    data = "data:\n  layout: records\n  date_column: date\n"
    blocks = [
        _kpi_block(f"m{j + 1:02d}_kpi", j, f"m{j + 1:02d}", "obj-a" if j % 2 else "obj-b")
        for j in range(N_MEASURES)
    ]
    _write_if_changed(path, _header("Benchmark (records)", data) + "\n".join(blocks) + "\n")
    return path


def many_kpis(out: Path, n: int = 500) -> Path:
    """A 500-KPI definition file for ``kpi validate`` (no data)."""
    path = out / f"kpis_{n}.yaml"
    n_obj = max(1, n // 5)
    blocks = [
        _kpi_block(f"k{i + 1:04d}", i, f"col_{i % 40}", _objective(i % n_obj)) for i in range(n)
    ]
    _write_if_changed(path, _header(f"Benchmark ({n} KPIs)", "", n_obj) + "\n".join(blocks) + "\n")
    return path


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _size(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


if __name__ == "__main__":  # quick manual use: python benchmarks/generate.py OUT ROWS
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/data")
    target.mkdir(parents=True, exist_ok=True)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    for p in (long_csv(target, n), long_xlsx(target, n), records_csv(target, n), long_kpis(target)):
        print(p)


def long_parquet(out: Path, rows: int) -> Path:
    """The long CSV's rows as Parquet (typed: date, text, text, double), same seed."""
    import pandas as pd

    path = out / f"long_{_size(rows)}_s{SEED}.parquet"
    if path.exists():
        return path
    day, team, kpi, value = _long_columns(rows)
    frame = pd.DataFrame(
        {
            "date": pd.Timestamp(START) + pd.to_timedelta(day.astype("int64"), unit="D"),
            "team": pd.Categorical.from_codes(team, team_names()).astype("str"),
            "kpi": pd.Categorical.from_codes(kpi, kpi_ids()).astype("str"),
            "value": value,
        }
    )
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def long_kpis_with(out: Path, name: str, extra: str) -> Path:
    """The long KPI file with more ``data:`` settings (engine, table) under another name."""
    base = long_kpis(out).read_text(encoding="utf-8")
    path = out / f"kpis_long_{name}.yaml"
    _write_if_changed(path, base.replace("data:\n", "data:\n" + extra, 1))
    return path


def long_postgres(admin_url: str, rows: int, csv: Path) -> str:
    """The long CSV loaded into PostgreSQL once (table bench_long_<size>); its name."""
    import psycopg

    name = f"bench_long_{_size(rows).lower()}"
    with psycopg.connect(admin_url, autocommit=True) as con:
        got = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s", (name,)
        ).fetchone()
        if got and got[0]:
            return name
        con.execute(
            f'CREATE TABLE "{name}" (date date, team text, kpi text, value double precision)'
        )
        with con.cursor() as cur, cur.copy(
            f'COPY "{name}" FROM STDIN WITH (FORMAT csv, HEADER true)'
        ) as cp, csv.open("rb") as fh:
            while block := fh.read(1 << 20):
                cp.write(block)
        con.execute(f'ANALYZE "{name}"')
        con.execute(f'GRANT SELECT ON "{name}" TO PUBLIC')
    return name
