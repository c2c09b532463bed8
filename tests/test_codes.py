"""Column codes shared by aggregation and the quality checks: computed once per column of a
frame, fresh for a new frame, and grouping exactly as pandas' group-by does."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.engine import codes as C
from kpicli.model.table import Table
from tests.hypothesis_budget import examples


def _table(frame: pd.DataFrame) -> Table:
    return Table(frame=frame, layout="long")


def test_each_column_is_factorised_once_per_frame(monkeypatch) -> None:
    calls: list[str] = []
    real = pd.factorize

    def counting(values, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(getattr(values, "name", "?"))
        return real(values, *args, **kwargs)

    monkeypatch.setattr(C.pd, "factorize", counting)
    table = _table(pd.DataFrame({"_kpi": ["a", "b", "a"], "team": ["x", "x", None]}))
    first = C.codes(table, "_kpi")
    again = C.codes(table, "_kpi")
    assert first[0] is again[0]
    assert calls == ["_kpi"]
    assert list(first[0]) == [0, 1, 0] and list(first[1]) == ["a", "b"]
    assert list(C.codes(table, "team")[0]) == [0, 0, -1]  # missing is -1, as pandas says
    table.frame = table.frame.iloc[:2]  # a new frame: codes computed again for it
    assert list(C.codes(table, "_kpi")[0]) == [0, 1]
    assert calls == ["_kpi", "team", "_kpi"]


cells = st.one_of(st.none(), st.sampled_from(["a", "b", "c", " a"]))


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(cells, st.integers(0, 3), cells), min_size=1, max_size=40))
def test_combined_ids_partition_rows_like_groupby(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["_kpi", "_date", "team"])
    frame["_date"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["_date"], unit="D")
    frame.loc[frame.index % 7 == 3, "_date"] = pd.NaT
    ids = C.combined_ids(_table(frame), ["_kpi", "_date", "team"])
    assert ids is not None
    expected = (
        frame.groupby(["_kpi", "_date", "team"], dropna=False, observed=True, sort=False)
        .ngroup()
        .to_numpy()
    )
    # Same partition: rows share an id exactly when they share a group.
    assert np.array_equal(ids[:, None] == ids[None, :], expected[:, None] == expected[None, :])
