"""Per-KPI, per-period (and per-group) aggregation of the measurement table; formula KPIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpicli.engine import periods as P
from kpicli.engine.codes import codes as column_codes
from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.labels import normalise_label
from kpicli.model.results import Finding
from kpicli.model.table import BASELINE, DATE, TARGET, VALUE, Table
from kpicli.model.table import KPI as KPI_COL
from kpicli.model.units import sums_by_default

OVERALL = ""  # group key of the whole population (no breakdown)
_PCT = re.compile(r"^p(\d{1,3})$")
_ADDITIVE = {"sum", "count", "nunique"}


def default_aggregate(kpi: KPI, model: KPIFile | None = None) -> str:
    """The aggregate a KPI uses: its own, the file default, else sum for counts and money."""
    if kpi.measure is not None and kpi.measure.aggregate:
        return kpi.measure.aggregate
    if model is not None and model.defaults.aggregate:
        return model.defaults.aggregate
    return "sum" if sums_by_default(kpi.unit) else "mean"


class Problem(str):
    """Why a KPI cannot be computed: the text shown to the user, and the catalogue rule it
    breaks, so that `kpi report` and `kpi validate` name the same rule for the same problem.

    A ``str`` so that it reads as the reason wherever one is shown (the KPI's ``why``);
    ``context`` holds the facts of the message for the report's finding.
    """

    rule: str
    context: dict[str, object] | None

    def __new__(cls, rule: str, message: str, context: dict[str, object] | None = None) -> Problem:
        made = super().__new__(cls, message)
        made.rule = rule
        made.context = context
        return made


def _measure_rule(kpi: KPI) -> str:
    # A named measure column that the data lacks is M203 (validate suggests the closest
    # name); a KPI with nothing named that matches nothing in the data is M201.
    return "M203" if kpi.measure is not None and kpi.measure.column else "M201"


@dataclass
class Actuals:
    """Aggregated values: index (group, period ordinal) → one column per KPI id."""

    grain: str
    fiscal_year_start: int
    by: str | None
    values: pd.DataFrame
    counts: pd.DataFrame
    targets: pd.DataFrame
    periods: pd.PeriodIndex
    baselines: dict[tuple[str, str], float] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    # (frame name, id of the frame) -> rows of each group, period positions, column arrays
    _lookup: dict[tuple[str, int], tuple[dict[str, np.ndarray], np.ndarray, dict]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def groups(self) -> list[str]:
        """The groups of the values, in order of first appearance."""
        index = self.values.index
        if isinstance(index, pd.MultiIndex):
            # From the index's integer codes: no per-row strings made and hashed.
            return list(index.levels[0].take(pd.unique(index.codes[0])))
        return list(index.get_level_values(0).unique())

    def _rows(self, frame: str) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray, dict]:
        """The frame, its row positions per group and period positions (built once)."""
        df = getattr(self, frame)
        key = (frame, id(df))
        got = self._lookup.get(key)
        if got is None:
            index = df.index
            if isinstance(index, pd.MultiIndex) and all(
                len(c) == 0 or int(c.min()) >= 0 for c in index.codes
            ):
                # The index's own codes number the groups: no per-row strings made and hashed
                # (a level value no row uses gets no rows, as a group that is not there).
                codes, uniques = np.asarray(index.codes[0]), index.levels[0]
                ords = index.levels[1].to_numpy(dtype=np.int64).take(index.codes[1])
            else:
                codes, uniques = pd.factorize(index.get_level_values(0))
                ords = index.get_level_values(1).to_numpy(dtype=np.int64)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
            rows = {str(g): order[bounds[i] : bounds[i + 1]] for i, g in enumerate(uniques)}
            first = int(self.periods.asi8[0]) if len(self.periods) else 0
            got = (rows, ords - first, {})
            self._lookup = {k: v for k, v in self._lookup.items() if k[0] != frame}
            self._lookup[key] = got
        return df, *got

    def series(self, kpi_id: str, group: str = OVERALL, frame: str = "values") -> pd.Series:
        """One KPI's values over all periods of the data, indexed by Period (NaN where none)."""
        df, rows, pos, columns = self._rows(frame)
        n = len(self.periods)
        r = rows.get(group)
        if kpi_id not in df.columns or r is None:
            return pd.Series(np.full(n, np.nan), index=self.periods)
        col = columns.get(kpi_id)
        if col is None:
            col = columns[kpi_id] = df[kpi_id].to_numpy(dtype="float64", na_value=np.nan)
        at = pos[r]
        inside = (at >= 0) & (at < n)
        out = np.full(n, np.nan)
        out[at[inside]] = col[r[inside]]
        return pd.Series(out, index=self.periods, name=kpi_id)


    def matrix(self, kpi_id: str, groups: list[str], frame: str = "values") -> np.ndarray:
        """One KPI's values for ``groups`` (rows) over all periods (columns), NaN where none:
        ``series(kpi_id, group, frame)`` of every group at once."""
        df, rows, pos, columns = self._rows(frame)
        n = len(self.periods)
        out = np.full((len(groups), n), np.nan)
        if kpi_id not in df.columns:
            return out
        col = columns.get(kpi_id)
        if col is None:
            col = columns[kpi_id] = df[kpi_id].to_numpy(dtype="float64", na_value=np.nan)
        key = ("cells", *groups)
        cells = columns.get(key)
        if cells is None:
            # (frame row, member row, period position) of every cell inside the periods.
            picked = [(rows[g], i) for i, g in enumerate(groups) if g in rows]
            r = np.concatenate([x for x, _ in picked]) if picked else np.zeros(0, np.int64)
            member = np.concatenate(
                [np.full(len(x), i, dtype=np.int64) for x, i in picked]
            ) if picked else np.zeros(0, np.int64)
            at = pos[r]
            inside = (at >= 0) & (at < n)
            cells = columns[key] = (r[inside], member[inside], at[inside])
        r, member, at = cells
        out[member, at] = col[r]
        return out


_DIRECT = {"sum", "mean", "min", "max"}


def _in_runs(codes: np.ndarray, n_codes: int) -> bool:
    """Whether the rows of each code are consecutive (one run per code that occurs)."""
    if len(codes) < 2:
        return True
    runs = 1 + int(np.count_nonzero(codes[1:] != codes[:-1]))
    if runs > n_codes:  # more runs than codes: some code has two
        return False
    return runs == int(np.count_nonzero(np.bincount(codes, minlength=n_codes)))


def _aggregate(values: pd.DataFrame, codes: np.ndarray, how: str, n_codes: int) -> pd.DataFrame:
    """``how`` of each column per group code in ``range(n_codes)`` (pandas' own reductions:
    compensated sums, linear percentiles, first/last non-empty in the order given: the caller
    sorts by date). Codes with no rows may be missing from the result or be in it with
    what an empty group gives (0 for a sum, NaN otherwise)."""
    if how in _DIRECT and not _in_runs(codes, n_codes):
        # The codes are the groups already: as a categorical over every code, pandas runs
        # its reduction on them as they are instead of hashing them into groups first. Each
        # group's values are reduced in the same order either way (the same sums). Rows that
        # come group by group are left to the hashing path: pandas reduces those with
        # numpy's reduceat (an uncompensated sum) when the groups it numbers are in order,
        # which they are after hashing but not always as categories.
        groups = pd.Categorical.from_codes(codes, categories=pd.RangeIndex(n_codes), validate=False)
        g = values.groupby(groups, observed=False)
    else:
        g = values.groupby(codes, sort=False)
    m = _PCT.match(how)
    if m:
        return g.quantile(int(m.group(1)) / 100.0)
    if how == "count":
        return g.count()
    if how == "nunique":
        return g.nunique()
    if how == "sum":
        return g.sum(min_count=0)
    return getattr(g, how)()


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    return pd.to_numeric(series, errors="coerce").astype("float64")


@dataclass
class _Plan:
    """One measured KPI: the rows it reads (its KPI labels in a long table), column, how, filter."""

    kpi: KPI
    labels: tuple[int, ...]  # long layout: codes of the KPI labels it reads; () for records
    column: str
    how: str
    where: str | None


@dataclass
class _KeySet:
    """A population rows are counted in: the whole table, or the members of ``by``."""

    keys: np.ndarray  # int32/int64 per row: member code * n_periods + period offset
    size: int  # number of possible keys
    offset: int  # first key of this set in the combined index
    group: str | None = None  # None: overall


def _period_offsets(table: Table, f: str) -> tuple[np.ndarray, int, int]:
    """Each row's period as an offset from the first, converted once per distinct date."""
    codes, uniques = column_codes(table, DATE)
    ords = pd.DatetimeIndex(uniques).to_period(f).asi8
    if not len(ords):
        return np.zeros(len(codes), dtype=np.int32), 0, -1
    lo, hi = int(ords.min()), int(ords.max())
    # take(): a gather by small integer codes, several times faster than indexing with them
    return (ords - lo).astype(np.int32).take(codes), lo, hi


def _member_codes(
    table: Table, by: str, scale: int = 1, dtype: type = np.int32
) -> tuple[np.ndarray, list[str]]:
    """The ``by`` column as codes into its sorted member names (stripped text; missing is
    ``(blank)``), each distinct value converted once; the codes times ``scale``, in
    ``dtype`` (one lookup per row makes the member part of a key)."""
    codes, uniques = column_codes(table, by)
    names = (
        pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        .astype("string")
        .fillna("(blank)")
        .str.strip()
        .tolist()
    )
    names.append("(blank)")  # code -1 (a missing cell) picks this last entry
    members = sorted(set(names))
    pos = {name: i for i, name in enumerate(members)}
    remap = np.array([pos[x] for x in names], dtype=dtype) * dtype(scale)
    return remap.take(codes), members


def _slot_groups(
    plans: list[_Plan], n: int, row_label: np.ndarray | None
) -> list[tuple[np.ndarray, list[int]]]:
    """Partition the plans into groups whose rows can share one group-by.

    Long layout: plans reading the same KPI labels share a slot; the slots of one group read
    disjoint rows, so each row has at most one slot (``row_slot``; -1 for none). A plan whose
    labels overlap another's without being the same gets a group of its own. Records layout:
    every plan reads every row (one slot). Yields (row_slot, slot of each plan or -1).

    The slots are numbered job by job (plans sharing an aggregate and a filter, in the order
    they come), so that a job's slots are usually consecutive numbers: its rows are then
    found by comparing ``row_slot`` with two bounds (see ``_rows``). ``row_slot`` has the
    smallest integer type that holds the slots.
    """
    if row_label is None:
        return [(np.zeros(n, dtype=np.int8), [0] * len(plans))]
    distinct = list(dict.fromkeys(p.labels for p in plans))
    shared = [h for h in distinct if not any(o != h and set(o) & set(h) for o in distinct)]
    first_job: dict[tuple[int, ...], int] = {}
    jobs = list(dict.fromkeys((p.how, p.where) for p in plans))
    for p in plans:
        first_job.setdefault(p.labels, jobs.index((p.how, p.where)))
    shared.sort(key=lambda h: first_job[h])  # stable: file order within a job
    groups = ([shared] if shared else []) + [[h] for h in distinct if h not in shared]
    n_labels = int(row_label.max()) + 1 if len(row_label) else 0
    out = []
    for members in groups:
        dtype = np.int8 if len(members) < 127 else np.int32
        label_slot = np.full(n_labels + 1, -1, dtype=dtype)  # last entry: no label
        for s, h in enumerate(members):
            label_slot[list(h)] = s
        slot = {h: s for s, h in enumerate(members)}
        out.append((label_slot.take(row_label), [slot.get(p.labels, -1) for p in plans]))
    return out


def _key_index(
    keys: np.ndarray, key_sets: list[_KeySet], members: list[str], n_periods: int, lo: int
) -> pd.MultiIndex:
    """(group, period ordinal) for combined keys: overall first, then members in name order.

    Built from its levels (the few groups and periods) and integer codes: the same index as
    ``MultiIndex.from_arrays`` of a group name and a period per key, without a string made
    per key.
    """
    gid = np.zeros(len(keys), dtype=np.int64)  # 0: overall, 1 + i: members[i]
    period = np.zeros(len(keys), dtype=np.int64)
    for ks in key_sets:
        inside = (keys >= ks.offset) & (keys < ks.offset + ks.size)
        local = keys[inside] - ks.offset
        if ks.group is None:
            period[inside] = local + lo
        else:
            gid[inside] = local // max(n_periods, 1) + 1
            period[inside] = local % max(n_periods, 1) + lo
    names = np.array([OVERALL, *members], dtype=object)
    used, gcodes = np.unique(gid, return_inverse=True)
    level0 = pd.Index(names[used], dtype="str")
    if not level0.is_monotonic_increasing:  # from_arrays' levels are sorted: let it sort them
        return pd.MultiIndex.from_arrays(
            [pd.Index(names[gid], dtype="str"), pd.Index(period, dtype="int64")],
            names=["group", "period"],
        )
    periods, pcodes = np.unique(period, return_inverse=True)
    return pd.MultiIndex(
        levels=[level0, pd.Index(periods, dtype="int64")],
        codes=[gcodes.ravel(), pcodes.ravel()],
        names=["group", "period"],
        verify_integrity=False,
    )


def _present_codes(
    row_slot: np.ndarray, keys: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code among the (slot, key) pairs that occur, and those pairs in order.

    A pair is ``slot * size + key``; rows in no slot get code -1. Small key spaces are
    counted densely (no hashing); large ones (a breakdown with very many members) factorised.
    """
    n = len(row_slot)
    base = row_slot >= 0
    every = bool(base.all())
    slots = row_slot if every else row_slot[base]
    comb = slots.astype(np.int64)  # made in place: one array of the rows, not three
    comb *= size
    comb += keys if every else keys[base]
    total = (int(slots.max()) + 1) * size if len(slots) else 0
    if total <= max(4 * n, 1 << 20):
        present = np.flatnonzero(np.bincount(comb, minlength=total))
        lookup = np.full(total, -1, dtype=np.int32)
        lookup[present] = np.arange(len(present), dtype=np.int32)
        found = lookup.take(comb)
    else:
        found, present = pd.factorize(comb)
        found = found.astype(np.int32)
    del comb
    if every:
        return found, present.astype(np.int64)
    codes = np.full(n, -1, dtype=np.int32)
    codes[base] = found
    return codes, present.astype(np.int64)


def _rows(row_slot: np.ndarray, slots: list[int], mask: object = None) -> np.ndarray:
    """Rows in any of ``slots`` (and passing ``mask``, a filter's bool array)."""
    lo, hi = min(slots), max(slots)
    if len(set(slots)) == hi - lo + 1:
        # Consecutive slots (as _slot_groups numbers them): two comparisons per row.
        sel = row_slot == lo if lo == hi else (row_slot >= lo) & (row_slot <= hi)
    else:
        need = np.zeros(
            max(int(row_slot.max(initial=0)), *slots) + 2, dtype=bool
        )  # the last entry serves -1
        need[slots] = True
        sel = need[row_slot]
    return sel & mask if isinstance(mask, np.ndarray) else sel


def _filled(column: pd.Series) -> np.ndarray:
    """Which cells of ``column`` are not empty (``notna``), as a bool array."""
    if column.dtype == np.float64:
        return ~np.isnan(column.to_numpy())
    return column.notna().to_numpy(dtype=bool)


def _per_code(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """How many of ``codes`` are each code in ``range(n_codes)``, as float64."""
    return np.bincount(codes, minlength=n_codes).astype("float64")


def _take(series: pd.Series, rows: np.ndarray) -> object:
    """``series`` at the positions ``rows`` (values only: the groupings are positional).

    ``rows`` are distinct positions in order (np.flatnonzero of a row mask), so as many of
    them as the series has rows are all of its rows: its values are then handed over as they
    are (read, never changed) instead of copied, as for a records table's KPIs without a
    filter (a million rows: 8 MB per measure column not copied)."""
    values = series.to_numpy() if isinstance(series.dtype, np.dtype) else series.array
    return values if len(rows) == len(series) else values.take(rows)


@dataclass
class _KeyCodes:
    """One key set's codes: each row's code among the (slot, key) pairs that occur.

    ``row_codes`` holds a code per table row; for a key set derived from a finer one
    (the whole population from the members of ``by``), ``row_codes`` are the finer codes and
    ``coarse`` maps each of them to this set's code.
    """

    row_codes: np.ndarray
    present: np.ndarray  # the pairs (slot * size + key) in code order
    size: int
    offset: int
    coarse: np.ndarray | None = None

    @property
    def n_codes(self) -> int:
        return len(self.present)

    @property
    def key_of_code(self) -> np.ndarray:
        return self.present % self.size + self.offset

    def of(self, rows: np.ndarray) -> np.ndarray:
        codes = self.row_codes.take(rows)
        return codes if self.coarse is None else self.coarse.take(codes)

    def codes_of_slot(self, slot: int) -> np.ndarray:
        return np.flatnonzero(self.present // self.size == slot)


def _coded_key_sets(
    row_slot: np.ndarray, key_sets: list[_KeySet], n_periods: int
) -> list[_KeyCodes]:
    """The codes of every key set, computed over the rows once.

    With a breakdown, the members' (slot, member, period) codes are computed from the rows
    and the whole population's (slot, period) codes from those: each member code names its
    period, so the overall code of a row is a lookup of its member code (no second pass over
    the table's rows).
    """
    if len(key_sets) == 2 and key_sets[0].group is None and key_sets[1].group is not None:
        overall, by = key_sets
        codes, present = _present_codes(row_slot, by.keys, by.size)
        period = (present % by.size) % max(n_periods, 1)
        pairs = (present // by.size) * overall.size + period
        coarse_present, coarse = np.unique(pairs, return_inverse=True)
        return [
            _KeyCodes(codes, coarse_present, overall.size, overall.offset, coarse.ravel()),
            _KeyCodes(codes, present, by.size, by.offset),
        ]
    out = []
    for ks in key_sets:
        codes, present = _present_codes(row_slot, ks.keys, ks.size)
        out.append(_KeyCodes(codes, present, ks.size, ks.offset))
    return out


def _scatter(res: pd.Series, n_codes: int) -> np.ndarray:
    """A result indexed by group code as a dense array over all codes (NaN where none)."""
    out = np.full(n_codes, np.nan)
    out[np.asarray(res.index, dtype=np.int64)] = res.to_numpy(dtype="float64", na_value=np.nan)
    return out


def compute_actuals(
    model: KPIFile,
    table: Table,
    grain: str | None = None,
    by: str | None = None,
) -> Actuals:
    """Aggregate every KPI per period (and per member of ``by``); then evaluate formulas.

    Rules (SPEC §2 "aggregates"): percentiles interpolate linearly; ``count`` counts non-empty
    cells; a period with rows of the KPI but none passing ``where`` gives 0 for count/sum and
    no value for the other aggregates; a period with no rows of the KPI has no value.

    Vectorised: dates become period ordinals once per distinct date, members of ``by`` are
    codes, every ``where`` filter is evaluated once, and the KPIs that share an aggregate and
    a filter share one group-by over (KPI rows, member, period) codes. With ``by``, those
    rows are selected once for both populations, and the whole population's (KPI rows,
    period) codes are looked up from the member codes rather than computed over the rows.
    """
    grain = grain or model.period
    fys = model.fiscal_year_start
    if table.pushdown is not None:  # the aggregation runs in the database (engine/sqlplan.py)
        return table.pushdown(model, grain, by)
    frame = table.frame
    n = len(frame)
    f = P.freq(grain, fys)
    offsets, lo, hi = _period_offsets(table, f)
    n_periods = hi - lo + 1
    if n:
        all_periods = pd.period_range(pd.Period(ordinal=lo, freq=f), periods=n_periods, freq=f)
    else:
        all_periods = pd.PeriodIndex([], freq=f)

    key_sets = [_KeySet(offsets, max(n_periods, 1), 0)]
    members: list[str] = []
    if by is not None:
        # At most one member per distinct cell, and (blank): whether the keys need 64 bits.
        _, distinct = column_codes(table, by)
        wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31
        keys, members = _member_codes(
            table, by, n_periods, np.int64 if wide else np.int32
        )
        keys += offsets  # member * n_periods + period offset, made in place
        key_sets.append(
            _KeySet(
                keys,
                max(len(members) * n_periods, 1),
                key_sets[0].size,
                by,
            )
        )

    long = table.layout == "long"
    row_label = None
    norm_uniques: list[str] = []
    if long:
        row_label, uniques = column_codes(table, KPI_COL)
        norm_uniques = [normalise_label(u) for u in uniques]

    problems: dict[str, Problem] = {}
    findings: list[Finding] = []
    plans: list[_Plan] = []
    filters: dict[str, np.ndarray | Problem] = {}
    for kpi in model.kpis:
        if kpi.formula is not None:
            continue
        how = default_aggregate(kpi, model)
        labels: tuple[int, ...] = ()
        if long:
            wanted = kpi.labels
            labels = tuple(i for i, u in enumerate(norm_uniques) if u in wanted)
            if not labels:
                problems[kpi.id] = Problem(
                    _measure_rule(kpi),
                    f"no rows for {kpi.data_column!r} "
                    f"in the data's KPI column",
                    {"label": kpi.data_column},
                )
                continue
            column = VALUE
        else:
            column = kpi.data_column
            if column not in frame.columns:
                problems[kpi.id] = Problem(
                    _measure_rule(kpi), f"column {column!r} is not in the data", {"column": column}
                )
                continue
        where = (kpi.measure.where if kpi.measure else None) or None
        if where is not None:
            if where not in filters:
                from kpicli.engine.expr import ExpressionError, evaluate_filter

                try:
                    filters[where] = evaluate_filter(where, frame).to_numpy(
                        dtype=bool, na_value=False
                    )
                except ExpressionError as exc:
                    filters[where] = Problem(
                        "E006", f"filter cannot be applied: {exc}", {"filter": where}
                    )
            if isinstance(filters[where], Problem):
                problems[kpi.id] = filters[where]
                continue
        plans.append(_Plan(kpi, labels, column, how, where))

    numeric: dict[str, pd.Series] = {}
    dates_cache: list[np.ndarray] = []

    def dates_i8() -> np.ndarray:
        if not dates_cache:
            dates_cache.append(frame[DATE].to_numpy(dtype="datetime64[ns]").view(np.int64))
        return dates_cache[0]

    def values_of(column: str, how: str) -> pd.Series:
        if how in ("count", "nunique"):
            return frame[column]
        if column not in numeric:
            numeric[column] = _numeric(frame[column])
        return numeric[column]

    has_target = long and TARGET in frame.columns
    # (plan, key set) -> (combined keys, values, counts[, targets]) of the keys it has rows in.
    pieces: dict[tuple[int, int], list[np.ndarray]] = {}
    for row_slot, slot_of_plan in _slot_groups(plans, n, row_label):
        mine = [i for i, s in enumerate(slot_of_plan) if s >= 0]
        if not mine:
            continue
        coded = _coded_key_sets(row_slot, key_sets, n_periods)
        jobs: dict[tuple[str, str | None], list[int]] = {}
        for i in mine:
            jobs.setdefault((plans[i].how, plans[i].where), []).append(i)
        for (how, where), idx in jobs.items():
            # The rows these KPIs read (passing their filter), in row order: found and taken
            # once, then grouped by every key set (the whole population, the members of by).
            rows = np.flatnonzero(
                _rows(row_slot, [slot_of_plan[i] for i in idx], filters.get(where))
            )
            columns = list(dict.fromkeys(plans[i].column for i in idx))
            # One block per column (copy=False): pandas would otherwise stack same-typed
            # columns into one 2D block, a copy of every column taken (the groupby reduces
            # each column on its own either way: the same sums).
            data = pd.DataFrame(
                {col: _take(values_of(col, how), rows) for col in columns}, copy=False
            )
            order = None
            if how in ("first", "last"):
                # first/last are by date, ties in row order (as on the SQL engines).
                order = np.argsort(dates_i8().take(rows), kind="stable")
                data = data.iloc[order]
            # Which cells are filled, for the columns with an empty cell (the others are
            # filled throughout).
            holes = {col: f for col in columns if not (f := _filled(data[col])).all()}
            for ks_i, key_codes in enumerate(coded):
                c = key_codes.of(rows)
                if order is not None:
                    c = c[order]
                n_codes = key_codes.n_codes
                # Non-empty cells per code; a count is exactly that (no group-by for it).
                # The columns without an empty cell share one count (read, never changed):
                # a records table's measures are counted once, not once each.
                counted: dict[str, np.ndarray] = {}
                full: np.ndarray | None = None
                for col in columns:
                    if col in holes:
                        counted[col] = _per_code(c[holes[col]], n_codes)
                    else:
                        full = _per_code(c, n_codes) if full is None else full
                        counted[col] = full
                res = None if how == "count" else _aggregate(data, c, how, n_codes)
                for col in columns:
                    counts = counted[col]
                    if res is None:
                        agg = counts.copy()
                    else:
                        agg = _scatter(res[col], n_codes)
                        if how in _ADDITIVE:
                            agg[np.isnan(agg)] = 0.0
                    for i in idx:
                        if plans[i].column == col:
                            at = key_codes.codes_of_slot(slot_of_plan[i])
                            pieces[(i, ks_i)] = [key_codes.key_of_code[at], agg[at], counts[at]]
        if has_target:
            tjobs: dict[tuple[bool, str | None], list[int]] = {}
            for i in mine:
                tjobs.setdefault((plans[i].how in _ADDITIVE, plans[i].where), []).append(i)
            for (additive, where), idx in tjobs.items():
                rows = np.flatnonzero(
                    _rows(row_slot, [slot_of_plan[i] for i in idx], filters.get(where))
                )
                tcol = pd.Series(_take(frame[TARGET], rows), copy=False)  # read, not copied
                for ks_i, key_codes in enumerate(coded):
                    tg = tcol.groupby(key_codes.of(rows), sort=False)
                    tvals = _scatter(
                        tg.sum(min_count=1) if additive else tg.mean(), key_codes.n_codes
                    )
                    for i in idx:
                        at = key_codes.codes_of_slot(slot_of_plan[i])
                        pieces[(i, ks_i)].append(tvals[at])

    # One index for all KPIs: every (member, period) some KPI has rows in.
    keys = (
        np.unique(np.concatenate([p[0] for p in pieces.values()]))
        if pieces
        else np.array([], dtype=np.int64)
    )
    index = _key_index(keys, key_sets, members, n_periods, lo)
    values_cols: dict[str, np.ndarray] = {}
    count_cols: dict[str, np.ndarray] = {}
    target_cols: dict[str, np.ndarray] = {}
    for i, plan in enumerate(plans):
        cols = [np.full(len(keys), np.nan) for _ in range(3 if has_target else 2)]
        for ks_i in range(len(key_sets)):
            piece = pieces.get((i, ks_i))
            if piece is not None:
                at = np.searchsorted(keys, piece[0])
                for col, part in zip(cols, piece[1:], strict=True):
                    col[at] = part
        values_cols[plan.kpi.id] = cols[0]
        count_cols[plan.kpi.id] = cols[1]
        if has_target:
            target_cols[plan.kpi.id] = cols[2]

    baselines: dict[tuple[str, str], float] = {}
    if long and BASELINE in frame.columns and row_label is not None:
        # The first baseline given in the rows of each KPI label (row order).
        given = np.flatnonzero(frame[BASELINE].notna().to_numpy(dtype=bool))
        labels_given, first = np.unique(row_label[given], return_index=True)
        first_row = dict(zip(labels_given.tolist(), given[first].tolist(), strict=True))
        column = frame[BASELINE].to_numpy(dtype="float64", na_value=np.nan)
        for plan in plans:
            found = [first_row[lab] for lab in plan.labels if lab in first_row]
            if found:
                baselines[(plan.kpi.id, OVERALL)] = float(column[min(found)])

    if values_cols:
        values_cols = _formula_columns(model, values_cols, index, problems)
    values = pd.DataFrame(values_cols, index=index)
    counts = pd.DataFrame(count_cols, index=index)
    targets = pd.DataFrame(target_cols, index=index)
    if values.empty:
        idx = pd.MultiIndex.from_arrays([[], []], names=["group", "period"])
        values = _with_formulas(model, pd.DataFrame(index=idx), problems)
        counts = pd.DataFrame(index=idx)
    return Actuals(
        grain=grain,
        fiscal_year_start=fys,
        by=by,
        values=values,
        counts=counts.reindex(index=values.index),
        targets=targets.reindex(index=values.index),
        periods=all_periods,
        baselines=baselines,
        problems=problems,
        findings=findings,
    )


def formula_order(model: KPIFile) -> tuple[list[KPI], dict[str, Problem]]:
    """Formula KPIs in dependency order, and the ones that cannot be computed (with why).

    The order and the cycles come from the formula graph (kpicli.engine.formula_graph) that
    the E005 rule reads too, so `kpi report` and `kpi validate` name the same cycle.
    """
    from kpicli.engine.formula_graph import formula_graph

    formulas = {k.id: k for k in model.kpis if k.formula is not None}
    graph = formula_graph(
        ((kid, k.formula or "", kid) for kid, k in formulas.items()), (k.id for k in model.kpis)
    )
    problems: dict[str, Problem] = {}
    for entry in graph.entries:
        if entry.error is not None:
            problems.setdefault(entry.kpi, Problem(
                "E006", f"formula cannot be read: {entry.error}",
                {"formula": formulas[entry.kpi].formula},
            ))
        elif entry.unknown:
            problems.setdefault(entry.kpi, Problem(
                "E005", f"formula names unknown KPI {', '.join(map(repr, entry.unknown))}",
                {"unknown": list(entry.unknown)},
            ))
    ordered, cycles, failed = graph.order(blocked=set(problems))
    on_cycle = {kid: c.path for c in cycles for kid in c.members}
    for kid in failed:
        if kid in on_cycle:
            problems.setdefault(kid, Problem(
                "E005", f"formulas form a cycle: {' → '.join(on_cycle[kid])}",
                {"cycle": list(on_cycle[kid])},
            ))
        else:
            problems.setdefault(
                kid, Problem("E005", "formula depends on a KPI that cannot be computed")
            )
    return [formulas[kid] for kid in ordered], problems


def _with_formulas(model: KPIFile, values: pd.DataFrame, problems: dict[str, Problem]) -> pd.DataFrame:
    """Evaluate formula KPIs column-wise on the aggregated frame (ratios of sums): the frame
    with the formula KPIs' columns set, computed by :func:`_formula_columns`."""
    if not any(k.formula is not None for k in model.kpis):
        return values
    cols = {kid: col.to_numpy(dtype="float64", na_value=np.nan) for kid, col in values.items()}
    made = _formula_columns(model, cols, values.index, problems)
    added = {kid: col for kid, col in made.items() if col is not cols.get(kid)}
    if not added:
        return values
    out = values.copy()
    for kid, col in added.items():
        out[kid] = col
    return out


def _formula_columns(
    model: KPIFile, cols: dict[str, np.ndarray], index: pd.Index, problems: dict[str, Problem]
) -> dict[str, np.ndarray]:
    """Evaluate formula KPIs on the aggregated columns before they become a frame: ``cols``
    (one float array per KPI id, on ``index``) with the formula KPIs' columns added (each
    operand a float64 Series on ``index``; infinities become missing)."""
    if not any(k.formula is not None for k in model.kpis):
        return cols
    from kpicli.engine.expr import ExpressionError, formula_namespace, parse_expression

    order, bad = formula_order(model)
    problems.update(bad)
    if not order:
        return cols
    spelling = formula_namespace(k.id for k in model.kpis)
    cols = dict(cols)
    for kpi in order:
        expr = parse_expression(kpi.formula or "", "formula")
        ns = {}
        for name in expr.names:
            col = cols.get(spelling[name])
            ns[name] = pd.Series(
                np.full(len(index), np.nan) if col is None else col, index=index, dtype="float64"
            )
        try:
            result = expr.evaluate(ns)
        except ExpressionError as exc:
            problems[kpi.id] = Problem(
                "E006", f"formula cannot be evaluated: {exc}", {"formula": kpi.formula}
            )
            continue
        if isinstance(result, pd.Series):
            out = result.to_numpy(dtype="float64", na_value=np.nan)
        else:
            out = np.full(len(index), float(result))
        cols[kpi.id] = np.where(np.isinf(out), np.nan, out)
    return cols
