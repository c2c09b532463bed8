"""kpicli benchmarks: kpi against the scripts users would otherwise write, side by side.

    python benchmarks/run.py            # 100k, 1M and 5M rows, 3 runs each (about 5 minutes)
    python benchmarks/run.py --quick    # 100k and 1M rows only (about 2-3 minutes)

Every measurement is the median of fresh processes (``--runs``, at least 3), commands of one
case interleaved so drift hits them alike. Peak memory is the child's own ``ru_maxrss``
(``os.wait4``). Data are generated with a fixed seed into ``benchmarks/out/data`` and reused.
The table is printed and written as JSON (``benchmarks/out/latest.json`` and a copy named
after the commit) so results can be compared across commits (``--compare OLD.json``).
``--src DIR`` measures the kpicli source tree in DIR instead of this one (e.g. a
``git worktree`` of an older commit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPTS = HERE / "scripts"
sys.path.insert(0, str(HERE))

import generate as G  # noqa: E402

PY = sys.executable


@dataclass
class Command:
    label: str  # "kpi", "pandas", "duckdb", ...
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (0,)  # exit codes that mean success (validate: 1 = findings)
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak(self) -> float | None:
        return max(self.rss_mb) if self.rss_mb else None


@dataclass
class Case:
    name: str
    rows: int | None
    commands: list[Command]
    reference: str | None = None  # label of the command ratios are taken against
    note: str = ""

    def get(self, label: str) -> Command | None:
        return next((c for c in self.commands if c.label == label), None)


# A small launcher forks and execs the command and reports the child's own rusage. Measured
# from this (big) process directly, Linux would count our memory in the child's peak RSS:
# subprocess spawns with vfork, and exec keeps the high-water mark of the memory it replaces.
LAUNCHER = """
import json, os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - t0
with open(report, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss": usage.ru_maxrss,
               "elapsed": elapsed}, fh)
"""


def run_once(cmd: Command, cwd: Path, timeout: float) -> None:
    """One fresh process: wall time and its own peak RSS (ru_maxrss), output to files."""
    env = {**os.environ, **cmd.env}
    out = cwd / "stdout.txt"
    err = cwd / "stderr.txt"
    report = cwd / "rusage.json"
    report.unlink(missing_ok=True)
    argv = [PY, "-I", "-S", "-c", LAUNCHER, str(report), *cmd.argv]
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=fo, stderr=fe, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            cmd.error = f"timed out after {timeout:.0f} s"
            return
    try:
        got = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cmd.error = f"launcher failed (exit {proc.returncode})"
        return
    if got["code"] not in cmd.ok:
        tail = err.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        cmd.error = f"exit {got['code']}: " + " | ".join(tail)
        return
    cmd.times.append(got["elapsed"])
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    cmd.rss_mb.append(got["maxrss"] / scale)


def measure(case: Case, runs: int, work: Path, timeout: float) -> None:
    cwd = work / case.name
    cwd.mkdir(parents=True, exist_ok=True)
    print(f"  {case.name}: ", end="", flush=True)
    for i in range(runs):
        for cmd in case.commands:
            if cmd.error is None:
                run_once(cmd, cwd, timeout)
        print(f"{i + 1}/{runs} ", end="", flush=True)
    print()


# ----------------------------------------------------------------------------- cases


def kpi_argv(*args: str) -> list[str]:
    return [PY, "-m", "kpicli", *args]


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def build_cases(data: Path, sizes: list[int], src_env: dict[str, str]) -> list[Case]:
    kl = str(G.long_kpis(data))
    kr = str(G.records_kpis(data))
    k500 = str(G.many_kpis(data, 500))
    cases: list[Case] = []

    def kpi(label: str, *args: str) -> Command:
        return Command(label, kpi_argv(*args), dict(src_env))

    def script(label: str, name: str, *args: str, **env: str) -> Command:
        return Command(label, [PY, str(SCRIPTS / name), *args], env)

    for n in sizes:
        csv = str(G.long_csv(data, n))
        cmds = [
            kpi("kpi", "report", kl, "--data", csv, "-f", "json"),
            script("pandas", "pandas_long.py", csv),
        ]
        if has("duckdb"):
            cmds.append(script("duckdb", "duckdb_long.py", csv))
        cases.append(
            Case(f"csv-{G._size(n)}", n, cmds, "pandas", "long CSV, report vs read + group-by")
        )
        if n == 1_000_000:
            cmds = [
                kpi("kpi", "report", kl, "--data", csv, "--by", "team", "-f", "json"),
                script("pandas", "pandas_long.py", csv, "team"),
            ]
            if has("duckdb"):
                cmds.append(script("duckdb", "duckdb_long.py", csv, "team"))
            cases.append(Case("csv-1M --by team", n, cmds, "pandas", "per team and overall"))
            cases.append(
                Case(
                    "csv-1M -o xlsx",
                    n,
                    [
                        kpi("kpi json", "report", kl, "--data", csv, "-f", "json"),
                        kpi("kpi -o xlsx", "report", kl, "--data", csv, "-o", "report.xlsx"),
                    ],
                    "kpi json",
                    "the workbook writer's cost is the difference",
                )
            )
        if n >= 1_000_000 and has("duckdb") and has("sqlglot"):
            pq = str(G.long_parquet(data, n))
            k_pandas = str(G.long_kpis_with(data, "pandas", "  engine: pandas\n"))
            cases.append(
                Case(
                    f"parquet-{G._size(n)}",
                    n,
                    [
                        kpi("kpi duckdb", "report", kl, "--data", pq, "-f", "json"),
                        script("duckdb sql", "duckdb_parquet.py", pq),
                        kpi("kpi pandas", "report", k_pandas, "--data", pq, "-f", "json"),
                    ],
                    "duckdb sql",
                    "long Parquet: kpi through DuckDB vs the SQL a user would write",
                )
            )
            admin, reader = os.environ.get("KPI_BENCH_PG_ADMIN"), os.environ.get("KPI_BENCH_PG")
            if admin and reader and has("psycopg"):
                name = G.long_postgres(admin, n, Path(csv))
                k_pg = str(G.long_kpis_with(data, f"pg_{name}", f"  table: {name}\n"))
                cases.append(
                    Case(
                        f"postgres-{G._size(n)}",
                        n,
                        [
                            kpi("kpi postgres", "report", k_pg, "--data", reader, "-f", "json"),
                            script("server sql", "pg_sql.py", reader, name),
                            script("pandas pull", "pg_pandas.py", reader, name),
                        ],
                        "server sql",
                        "PostgreSQL table: kpi pushes the aggregation down",
                    )
                )
    xlsx = str(G.long_xlsx(data, 100_000))
    cmds = [
        kpi("kpi", "report", kl, "--data", xlsx, "-f", "json"),
        script("pandas openpyxl", "pandas_long.py", xlsx),
    ]
    if has("python_calamine"):
        cmds.append(
            script("pandas calamine", "pandas_long.py", xlsx, BENCH_EXCEL_ENGINE="calamine")
        )
    if has("fastexcel"):
        cmds.append(script("fastexcel", "fastexcel_long.py", xlsx))
    cases.append(Case("xlsx-100k", 100_000, cmds, "pandas openpyxl", "workbook read + group-by"))

    rec_rows = 1_000_000
    rec = str(G.records_csv(data, rec_rows))
    cases.append(
        Case(
            f"records-{G._size(rec_rows)}",
            rec_rows,
            [
                kpi("kpi", "report", kr, "--data", rec, "-f", "json"),
                script("pandas", "pandas_records.py", rec),
            ],
            "pandas",
            "records layout, 10 measure columns",
        )
    )
    cases.append(
        Case(
            "validate-500",
            None,
            [
                Command(
                    "kpi",
                    kpi_argv("validate", k500, "--no-data", "-f", "json"),
                    dict(src_env),
                    ok=(0, 1),
                )
            ],
            None,
            "500-KPI definition file, SMART rules",
        )
    )
    cases.append(
        Case(
            "help",
            None,
            [kpi("kpi", "--help"), script("bare typer", "bare_typer.py", "--help")],
            "bare typer",
            "start-up: no pandas/numpy/openpyxl/pyarrow",
        )
    )
    # The tiny shipped example: what a first-time user times against their own script, whose
    # floor is importing the libraries it would use.
    src_root = Path(src_env.get("PYTHONPATH", str(ROOT)).split(os.pathsep)[0] or ROOT)
    tiny = str(src_root / "examples" / "ecommerce-cx" / "kpis.yaml")
    cases.append(
        Case(
            "tiny example",
            None,
            [
                kpi("kpi", "report", tiny, "-f", "json"),
                Command(
                    "import floor",
                    [PY, "-c", "import pandas, typer, pydantic, yaml"],
                ),
            ],
            "import floor",
            "examples/ecommerce-cx vs importing pandas, typer, pydantic, yaml",
        )
    )
    cases.append(
        Case(
            "import pandas",
            None,
            [Command("python -c 'import pandas'", [PY, "-c", "import pandas"])],
            None,
            "the floor any pandas-based tool pays",
        )
    )
    return cases


# ----------------------------------------------------------------------------- targets


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def targets(cases: list[Case]) -> list[dict[str, object]]:
    by = {c.name: c for c in cases}

    def med(case: str, label: str) -> float | None:
        c = by.get(case)
        cmd = c.get(label) if c else None
        return cmd.median if cmd else None

    def peak(case: str, label: str) -> float | None:
        c = by.get(case)
        cmd = c.get(label) if c else None
        return cmd.peak if cmd else None

    def minus(a: float | None, b: float | None) -> float | None:
        return a - b if a is not None and b is not None else None

    # The goals of the performance issue: ratios to the script a user would write, measured in
    # the same run; the tiny example's goal is a difference in seconds to the import floor.
    out = [
        (
            "CSV 1M: kpi report / pandas script",
            ratio(med("csv-1M", "kpi"), med("csv-1M", "pandas")),
            1.0,
        ),
        (
            "CSV 1M --by team: kpi / pandas script by team",
            ratio(med("csv-1M --by team", "kpi"), med("csv-1M --by team", "pandas")),
            1.3,
        ),
        (
            "tiny example: kpi - import floor (seconds)",
            minus(med("tiny example", "kpi"), med("tiny example", "import floor")),
            0.05,
        ),
        ("CSV 5M / CSV 1M (kpi report)", ratio(med("csv-5M", "kpi"), med("csv-1M", "kpi")), 5.5),
        (
            "XLSX 100k: kpi report / pandas read_excel (openpyxl)",
            ratio(med("xlsx-100k", "kpi"), med("xlsx-100k", "pandas openpyxl")),
            0.15,
        ),
        (
            "kpi --help / bare Typer --help",
            ratio(med("help", "kpi"), med("help", "bare typer")),
            1.3,
        ),
        (
            "CSV 1M peak RSS: kpi / pandas script",
            ratio(peak("csv-1M", "kpi"), peak("csv-1M", "pandas")),
            1.3,
        ),
    ]
    # Data in an engine (issue 13): kpi's pushed-down aggregation against the SQL a user
    # would write by hand on the same engine, at the sizes measured in this run.
    for size in ("5M", "25M"):
        out += [
            (
                f"Parquet {size}: kpi through DuckDB / hand-written DuckDB SQL",
                ratio(med(f"parquet-{size}", "kpi duckdb"), med(f"parquet-{size}", "duckdb sql")),
                1.3,
            ),
            (
                f"PostgreSQL {size}: kpi / server-side SQL",
                ratio(med(f"postgres-{size}", "kpi postgres"),
                      med(f"postgres-{size}", "server sql")),
                1.3,
            ),
        ]
    return [
        {
            "target": name,
            "value": value,
            "limit": limit,
            "met": None if value is None else value <= limit,
        }
        for name, value, limit in out
    ]


# ----------------------------------------------------------------------------- output


def fmt_s(x: float | None) -> str:
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def fmt_rate(rows: int | None, t: float | None) -> str:
    if not rows or not t:
        return "-"
    r = rows / t
    return f"{r / 1e6:.2f}M" if r >= 1e6 else f"{r / 1e3:.0f}k"


def table(cases: list[Case]) -> str:
    head = f"{'case':<18} {'command':<17} {'median s':>9} {'min s':>7} {'ratio':>7} {'rows/s':>7} {'peak MB':>8} {'mem ratio':>9}"
    lines = [head, "-" * len(head)]
    for case in cases:
        ref = case.get(case.reference) if case.reference else None
        for i, cmd in enumerate(case.commands):
            name = case.name if i == 0 else ""
            if cmd.error:
                lines.append(f"{name:<18} {cmd.label:<17} FAILED: {cmd.error[:80]}")
                continue
            r = ratio(cmd.median, ref.median) if ref is not None and ref is not cmd else None
            m = ratio(cmd.peak, ref.peak) if ref is not None and ref is not cmd else None
            lines.append(
                f"{name:<18} {cmd.label:<17} {fmt_s(cmd.median):>9} {fmt_s(min(cmd.times)):>7} "
                f"{(f'{r:.2f}x' if r is not None else ''):>7} {fmt_rate(case.rows, cmd.median):>7} "
                f"{(f'{cmd.peak:.0f}' if cmd.peak else '-'):>8} {(f'{m:.2f}x' if m is not None else ''):>9}"
            )
        # The workbook case has a second reference: fastexcel itself, the reader kpi uses.
        fx, kp = case.get("fastexcel"), case.get("kpi")
        if fx and kp and fx.median and kp.median and not (fx.error or kp.error):
            lines.append(
                f"{'':<18} {'kpi / fastexcel':<17} {'':>9} {'':>7} {kp.median / fx.median:>6.2f}x"
            )
        xl = case.get("kpi -o xlsx")
        js = case.get("kpi json")
        if xl and js and xl.median and js.median:
            lines.append(f"{'':<18} {'(writer cost)':<17} {fmt_s(xl.median - js.median):>9}")
    return "\n".join(lines)


def targets_text(rows: list[dict[str, object]]) -> str:
    lines = ["goals (from this run; pass/fail):"]
    for t in rows:
        v = t["value"]
        state = "n/a (not measured)" if v is None else ("PASS" if t["met"] else "FAIL")
        shown = "-" if v is None else f"{v:.2f}"
        lines.append(f"  {t['target']:<55} {shown:>6}  (<= {t['limit']})  {state}")
    return "\n".join(lines)


def git_info(src: Path) -> dict[str, object]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=src, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "kpicli")),
    }


def versions() -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        "for p in ('pandas','numpy','pyarrow','python-calamine','openpyxl','typer','duckdb','fastexcel'):\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    try:
        return json.loads(subprocess.run([PY, "-c", code], capture_output=True, text=True).stdout)
    except (ValueError, OSError):
        return {}


def compare(old_path: Path, cases: list[Case]) -> str:
    old = json.loads(old_path.read_text(encoding="utf-8"))
    before = {(r["case"], r["command"]): r for r in old.get("results", [])}
    lines = [f"compared with {old_path} (commit {old.get('meta', {}).get('commit', '?')}):"]
    for case in cases:
        for cmd in case.commands:
            b = before.get((case.name, cmd.label))
            if b and b.get("median") and cmd.median:
                lines.append(
                    f"  {case.name:<18} {cmd.label:<17} {b['median']:>8.3f} -> {cmd.median:>8.3f} s"
                    f"  ({cmd.median / b['median']:.2f}x)"
                )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="100k and 1M rows only")
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per command (min 3)")
    ap.add_argument("--sizes", help="comma-separated CSV sizes in rows (overrides --quick)")
    ap.add_argument("--only", action="append", help="run only cases whose name starts with this")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="data and results folder")
    ap.add_argument("--json", type=Path, help="results file (default OUT/latest.json)")
    ap.add_argument("--src", type=Path, default=ROOT, help="kpicli source tree to measure")
    ap.add_argument("--compare", type=Path, help="an earlier results JSON to compare with")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per process")
    ap.add_argument("--allow-few-runs", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    runs = args.runs if args.allow_few_runs else max(3, args.runs)
    if args.sizes:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    else:
        sizes = [100_000, 1_000_000] + ([] if args.quick else [5_000_000])
    data = args.out / "data"
    data.mkdir(parents=True, exist_ok=True)
    src = args.src.resolve()
    src_env = {"PYTHONPATH": str(src) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    t0 = time.perf_counter()
    print(f"generating data in {data} (seed {G.SEED}; reused when present) ...", flush=True)
    cases = build_cases(data, sizes, src_env)
    if args.only:
        cases = [c for c in cases if any(c.name.startswith(o) for o in args.only)]
    # Byte-compile the measured tree, as `pip install` does: with PYTHONDONTWRITEBYTECODE set
    # (CI images, containers) every run would otherwise compile kpicli from source again.
    subprocess.run([PY, "-m", "compileall", "-q", str(src / "kpicli")], check=False)
    # Warm the page cache and the bytecode caches so the first timed run is not special.
    for f in data.iterdir():
        if f.is_file():
            with f.open("rb") as fh:
                while fh.read(1 << 24):
                    pass
    subprocess.run(
        [PY, "-c", "import pandas, pyarrow, kpicli.cli, kpicli.engine.report, kpicli.readers.files"],
        env={**os.environ, **src_env},
        check=False,
    )
    print(f"data ready in {time.perf_counter() - t0:.0f} s; measuring {runs} runs per command")
    work = args.out / "work"
    for case in cases:
        measure(case, runs, work, args.timeout)

    info = git_info(src)
    tgt = targets(cases)
    print()
    print(
        f"kpicli {info['commit']}{' (modified)' if info['dirty'] else ''}  ·  "
        f"{platform.python_implementation()} {platform.python_version()}  ·  "
        f"{os.cpu_count()} CPUs  ·  medians of {runs} fresh processes"
    )
    print(table(cases))
    print()
    print(targets_text(tgt))
    doc = {
        "meta": {
            **info,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "runs": runs,
            "seed": G.SEED,
            "sizes": sizes,
            "versions": versions(),
        },
        "results": [
            {
                "case": c.name,
                "command": cmd.label,
                "argv": [a.replace(str(args.out), "OUT") for a in cmd.argv[1:]],
                "rows": c.rows,
                "times": cmd.times,
                "median": cmd.median,
                "peak_rss_mb": cmd.peak,
                "reference": c.reference,
                "ratio": ratio(cmd.median, (c.get(c.reference) or cmd).median)
                if c.reference and c.reference != cmd.label
                else None,
                "error": cmd.error,
            }
            for c in cases
            for cmd in c.commands
        ],
        "targets": tgt,
    }
    if args.compare:
        print()
        print(compare(args.compare, cases))
    dest = args.json or args.out / "latest.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=2) + "\n"
    dest.write_text(text, encoding="utf-8")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.json is None:
        shutil.copyfile(dest, args.out / f"results-{info['commit'] or 'nogit'}-{stamp}.json")
    print(f"\nresults written to {dest}  ({time.perf_counter() - t0:.0f} s in all)")
    failed = [c for case in cases for c in case.commands if c.error]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
