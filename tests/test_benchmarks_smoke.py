"""The benchmark harness works end to end at a tiny size (no timing assertions)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_generate_and_measure_one_case(tmp_path: Path) -> None:
    run: Any = _load("run")
    gen = run.G
    data = tmp_path / "data"
    data.mkdir()
    csv = gen.long_csv(data, 2_000)
    xlsx = gen.long_xlsx(data, 300)
    records = gen.records_csv(data, 300)
    kpis = gen.long_kpis(data)
    many = gen.many_kpis(data, 25)
    assert csv.read_text(encoding="utf-8").splitlines()[0] == "date,team,kpi,value"
    assert len(csv.read_text(encoding="utf-8").splitlines()) == 2_001
    assert gen.long_csv(data, 2_000).read_bytes() == csv.read_bytes()  # reused, same seed
    assert xlsx.stat().st_size > 0 and records.stat().st_size > 0 and many.stat().st_size > 0

    env = {"PYTHONPATH": str(BENCH.parent)}
    case = run.Case(
        "csv-tiny",
        2_000,
        [
            run.Command(
                "kpi", run.kpi_argv("report", str(kpis), "--data", str(csv), "-f", "json"), env
            ),
            run.Command("pandas", [sys.executable, str(run.SCRIPTS / "pandas_long.py"), str(csv)]),
        ],
        "pandas",
    )
    run.measure(case, 1, tmp_path / "work", timeout=120)
    for cmd in case.commands:
        assert cmd.error is None, cmd.error
        assert len(cmd.times) == 1 and cmd.rss_mb[0] > 0
    out = json.loads((tmp_path / "work" / "csv-tiny" / "stdout.txt").read_text(encoding="utf-8"))
    assert isinstance(out, list) and out  # the pandas script ran last: its records
    text = run.table([case])
    assert "csv-tiny" in text and "pandas" in text and "x" in text
    rows = run.targets([case])
    assert {r["target"] for r in rows} and all(r["value"] is None for r in rows)
