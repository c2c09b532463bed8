"""Profile one ``kpi`` command in-process: ``python benchmarks/profile_kpi.py report KPIS --data F``.

Prints the phases (read, aggregate, evaluate, write) and the top functions by cumulative and
own time (cProfile). pyinstrument is used instead when it is installed and ``--pyinstrument``
is given.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import sys
import time


def main(argv: list[str]) -> None:
    use_pyinstrument = "--pyinstrument" in argv
    argv = [a for a in argv if a != "--pyinstrument"]
    limit = 35
    from kpicli.cli import app

    def run() -> None:
        with contextlib.suppress(SystemExit):
            app(argv, prog_name="kpi", standalone_mode=False)

    real_stdout = sys.stdout
    sys.stdout = io.StringIO()  # the report itself is not what we are looking at
    t0 = time.perf_counter()
    try:
        if use_pyinstrument:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.001)
            prof.start()
            run()
            prof.stop()
        else:
            pr = cProfile.Profile()
            pr.enable()
            run()
            pr.disable()
    finally:
        sys.stdout = real_stdout
    print(f"wall (profiled): {time.perf_counter() - t0:.2f} s")
    if use_pyinstrument:
        print(prof.output_text(unicode=True, color=False, show_all=False))
        return
    for key in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(pr, stream=s).sort_stats(key).print_stats(limit)
        print(f"--- by {key}")
        print("\n".join(s.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main(sys.argv[1:])
