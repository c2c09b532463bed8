"""HTML writer: the scorecard as one self-contained page for email and the wiki.

Contract:
* renders a ``Report`` and recomputes nothing (values, statuses, changes and the why come
  from the report; only the drawing of the sparklines is done here);
* one file: inline CSS and inline SVG, no scripts, no fonts, images or links to fetch; a
  Content-Security-Policy meta (``default-src 'none'``) makes a browser refuse anything
  else, so a mail client or wiki that shows the page makes no request;
* every piece of text from the KPI file or the data (names, ids, owners, objective titles,
  units, members, why, findings, sources) goes through :func:`esc` (``html.escape`` with
  quotes, control characters shown as symbols): untrusted text is never markup;
* readable printed (print CSS: the why is printed in full, no closed ``<details>``) and in
  dark mode (``prefers-color-scheme``); status is never shown by colour alone (icon and word).

Hand-built rather than Jinja2: the page is one small fixed layout, and a dependency for it
would add an install and a second escaping mechanism to audit; here there is one function
every value passes through, and the tests feed markup through every field.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

from kpicli.model.results import Finding, KPIResult, Report, ScoreLine
from kpicli.writers.formatting import (
    CHANGE_ARROW,
    STATUS_ICON,
    STATUS_LABEL,
    arrow,
    change_phrase,
    change_suffix,
    delta_is_good,
    format_ratio,
    format_target,
    format_value,
    moved,
    objective_sections,
    period_heading,
)
from kpicli.writers.sanitize import printable

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

SPARK_W, SPARK_H, SPARK_PAD = 132, 30, 3


def esc(value: object) -> str:
    """Text for HTML content and quoted attributes: ``& < > " '`` escaped, controls visible."""
    return html.escape(printable(str(value)), quote=True)


CSS = """
:root{--bg:#fff;--fg:#1d2330;--muted:#5d6675;--line:#d9dee7;--band:#eef2f8;
--met-bg:#d7f0dc;--met-fg:#0c5a22;--on-bg:#e4f4e6;--on-fg:#1c6a32;
--risk-bg:#fdf0c4;--risk-fg:#7a4b00;--off-bg:#fbd9dc;--off-fg:#8f0d1a;
--nd-bg:#eceef1;--nd-fg:#555d69;--spark:#2f6fb3;--target:#b0399b;
--good:#177a3a;--bad:#b3261e;--new:#1f5f99;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e6e9ef;--muted:#a1a9b6;
--line:#343a45;--band:#1f2630;--met-bg:#173d22;--met-fg:#9be3ad;--on-bg:#1b3622;
--on-fg:#a9dfb6;--risk-bg:#45370f;--risk-fg:#f6d77a;--off-bg:#4a1b20;--off-fg:#ffb3ba;
--nd-bg:#2a2f37;--nd-fg:#b3bac6;--spark:#7fb3ec;--target:#e58fd6;--good:#7fd69a;
--bad:#ff8f87;--new:#8cc0f0}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1180px;padding:24px 28px 40px;background:var(--bg);
color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:26px 0 8px}
.meta{color:var(--muted);margin:0}
.score{font-weight:700}
.counts span{margin-right:12px;white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}
th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td{overflow-wrap:anywhere}td.kpi{min-width:16em}
section{overflow-x:auto}
tr.band td{background:var(--band);font-weight:700;border-bottom:none}
.status{display:inline-block;padding:1px 8px;border-radius:10px;white-space:nowrap;
font-weight:600;font-size:13px}
.st-met{background:var(--met-bg);color:var(--met-fg)}
.st-on_track{background:var(--on-bg);color:var(--on-fg)}
.st-at_risk{background:var(--risk-bg);color:var(--risk-fg)}
.st-off_track{background:var(--off-bg);color:var(--off-fg)}
.st-no_data{background:var(--nd-bg);color:var(--nd-fg)}
.was{display:block;font-size:12px;margin-top:2px;white-space:nowrap}
.ch-worsened{color:var(--bad)}.ch-improved{color:var(--good)}.ch-new{color:var(--new)}
.good{color:var(--good)}.bad{color:var(--bad)}.muted{color:var(--muted)}
details summary{cursor:pointer;font-weight:600}
details p{margin:4px 0 2px;color:var(--muted);font-size:13px}
.why-print{display:none}
.id{color:var(--muted);font-size:12px;font-weight:400}
svg.spark{display:block;color:var(--spark)}
svg.spark .target{stroke:var(--target)}
.changes ul{list-style:none;padding:0;margin:0}
.changes li{padding:3px 0}
.legend{color:var(--muted);font-size:12px}
.sev-error{color:var(--bad);font-weight:700}.sev-warning{color:var(--risk-fg);font-weight:700}
.sev-info{color:var(--muted);font-weight:700}
footer{margin-top:28px;color:var(--muted);font-size:12px}
@page{size:A4 landscape;margin:10mm}
@media print{body{max-width:none;padding:0;font-size:11px;color:#000;background:#fff}
:root{--bg:#fff;--fg:#000;--line:#bbb;--band:#eee}
details summary{list-style:none;cursor:auto}details summary::-webkit-details-marker{display:none}
details>p{display:none}.why-print{display:block;color:#333;font-size:10px}
tr{break-inside:avoid}h2{break-after:avoid}section{overflow:visible}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _num(x: float | None) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    return x if math.isfinite(x) else None


def sparkline_svg(r: KPIResult) -> str:
    """Actuals as a line, the target per period as a dashed line, the last point marked."""
    points = r.history
    actuals = [_num(h.actual) for h in points]
    targets = [_num(h.target) for h in points]
    values = [v for v in actuals + targets if v is not None]
    if not points or not any(v is not None for v in actuals):
        return '<span class="muted">–</span>'
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    n = len(points)
    step = (SPARK_W - 2 * SPARK_PAD) / max(1, n - 1)

    def xy(i: int, v: float) -> str:
        x = SPARK_PAD + i * step if n > 1 else SPARK_W / 2
        y = SPARK_H - SPARK_PAD - (v - lo) / span * (SPARK_H - 2 * SPARK_PAD)
        return f"{x:.1f},{y:.1f}"

    def runs(vals: list[float | None]) -> Iterable[list[str]]:
        run: list[str] = []
        for i, v in enumerate(vals):
            if v is None:
                if run:
                    yield run
                run = []
            else:
                run.append(xy(i, v))
        if run:
            yield run

    parts = []
    for run in runs(targets):
        if len(run) == 1:
            x, y = run[0].split(",")
            run = [f"{float(x) - 3:.1f},{y}", f"{float(x) + 3:.1f},{y}"]
        parts.append(
            f'<polyline class="target" points="{" ".join(run)}" fill="none" '
            'stroke-width="1.2" stroke-dasharray="3 2"/>'
        )
    for run in runs(actuals):
        if len(run) > 1:
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="currentColor" '
                'stroke-width="1.6" stroke-linejoin="round"/>'
            )
    last = max(i for i, v in enumerate(actuals) if v is not None)
    x, y = xy(last, actuals[last]).split(",")  # type: ignore[arg-type]
    parts.append(f'<circle cx="{x}" cy="{y}" r="2.4" fill="currentColor"/>')
    first, end = points[0].period, points[-1].period
    label = f"{r.name}: {first} to {end}; solid line actual, dashed line target"
    return (
        f'<svg class="spark" role="img" aria-label="{esc(label)}" width="{SPARK_W}" '
        f'height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}">{"".join(parts)}</svg>'
    )


def _status(r: KPIResult) -> str:
    label = f"{STATUS_ICON[r.status]} {STATUS_LABEL[r.status]}"
    out = f'<span class="status st-{r.status}">{esc(label)}</span>'
    suffix = change_suffix(r)
    if suffix:
        kind = r.status_change or "new"
        before = STATUS_LABEL[r.previous_status or "no_data"]
        out += (
            f'<span class="was ch-{kind}" title="{esc(kind)}">{esc(CHANGE_ARROW[kind])} '
            f"was {esc(before)}</span>"
        )
    return out


def _delta(r: KPIResult) -> str:
    if r.delta is None:
        return '<span class="muted">–</span>'
    good = delta_is_good(r)
    cls = "good" if good else ("bad" if good is False else "muted")
    text = f"{arrow(r)} {format_value(r.delta, r.unit, signed=True)}"
    return f'<span class="{cls}">{esc(text)}</span>'


def _forecast(r: KPIResult) -> str:
    if r.forecast is None:
        return '<span class="muted">–</span>'
    out = esc(format_value(r.forecast, r.unit))
    if r.forecast_meets is not None:
        mark, cls = ("✓", "good") if r.forecast_meets else ("✗", "bad")
        out += f' <span class="{cls}">{mark}</span>'
    if r.forecast_period:
        out += f'<br><span class="muted">{esc(r.forecast_period)}</span>'
    return out


def _why_block(r: KPIResult) -> str:
    facts = [f"why: {r.why or '–'}"]
    if r.owner:
        facts.append(f"owner: {r.owner}")
    if r.due:
        facts.append(f"due: {r.due}")
    if r.baseline is not None:
        base = format_value(r.baseline, r.unit)
        facts.append(f"baseline: {base}" + (f" ({r.baseline_period})" if r.baseline_period else ""))
    if r.needed is not None:
        facts.append(f"needed per period: {format_value(r.needed, r.unit)}")
    return "".join(f"<p>{esc(f)}</p>" for f in facts)


def _kpi_row(r: KPIResult) -> str:
    name = esc(r.name or r.id)
    group = f" — {esc(r.group)}" if r.group is not None else ""
    cells = [
        f'<td class="kpi"><details><summary>{name}{group} <span class="id">{esc(r.id)}</span>'
        f"</summary>{_why_block(r)}</details>"
        f'<span class="why-print">{esc(r.why)}</span></td>',
        f'<td class="num"><b>{esc(format_value(r.actual, r.unit))}</b></td>',
        f'<td class="num">{esc(format_target(r))}</td>',
        f'<td class="num">{esc(format_ratio(r.attainment))}</td>',
        f"<td>{_status(r)}</td>",
        f'<td class="num">{_delta(r)}</td>',
        f"<td>{sparkline_svg(r)}</td>",
        f'<td class="num">{_forecast(r)}</td>',
    ]
    return f'<tr class="row st-row-{r.status}" title="{esc(r.why)}">{"".join(cells)}</tr>'


HEAD = (
    '<tr><th>KPI <span class="legend">(click for why)</span></th><th class="num">Actual</th>'
    '<th class="num">Target</th><th class="num">Attainment</th><th>Status</th>'
    '<th class="num">Δ previous</th><th>Trend</th><th class="num">Forecast</th></tr>'
)


def _sections(
    report: Report, results: list[KPIResult]
) -> list[tuple[ScoreLine | None, str, list[KPIResult]]]:
    sections, rest = objective_sections(report, results)
    out: list[tuple[ScoreLine | None, str, list[KPIResult]]] = list(sections)
    if rest:
        out.append((None, "Other KPIs" if out else "", rest))
    return out


def _scorecard(report: Report, results: list[KPIResult]) -> str:
    rows = []
    for line, title, members in _sections(report, results):
        if title:
            score = ""
            if line is not None and line.score is not None:
                score = f' <span class="score">{esc(format_ratio(line.score))}</span>'
            rows.append(f'<tr class="band"><td colspan="8">{esc(title)}{score}</td></tr>')
        rows.extend(_kpi_row(r) for r in members)
    return (
        '<section class="scorecard"><h2>Scorecard</h2><table>'
        f"<thead>{HEAD}</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _changes(report: Report, results: list[KPIResult]) -> str:
    if report.previous_period is None or not any(r.status_change for r in results):
        return ""
    picked = moved(results)
    head = f"<h2>Changes since {esc(report.previous_period)}</h2>"
    if not picked:
        return f'<section class="changes">{head}<p class="muted">No status changed.</p></section>'
    items = []
    for r in picked:
        kind = r.status_change or "new"
        who = esc(r.name or r.id) + (f" — {esc(r.group)}" if r.group is not None else "")
        items.append(
            f'<li class="ch-{kind}">{esc(CHANGE_ARROW[kind])} {esc(kind)}: '
            f"<b>{who}</b> <span>({esc(change_phrase(r))})</span></li>"
        )
    return f'<section class="changes">{head}<ul>{"".join(items)}</ul></section>'


def _members(report: Report) -> str:
    members = [r for r in report.kpis if r.group is not None]
    if not members:
        return ""
    kpi_ids = list(dict.fromkeys(r.id for r in members))
    names = {r.id: r.name for r in members}
    cells = {(r.group, r.id): r for r in members}
    head = "".join(f'<th class="num">{esc(names[k])}</th>' for k in kpi_ids)
    rows = []
    order = [g.id for g in report.groups]
    order += [g for g in dict.fromkeys(r.group for r in members) if g not in order]  # type: ignore[misc]
    lines = {g.id: g for g in report.groups}
    for gid in order:
        line = lines.get(gid)
        row = [
            f'<td class="num">{esc(line.rank) if line and line.rank else "–"}</td>',
            f"<td>{esc(gid)}</td>",
            f'<td class="num">{esc(format_ratio(line.score if line else None))}</td>',
        ]
        for kid in kpi_ids:
            r = cells.get((gid, kid))
            if r is None:
                row.append('<td class="num muted">–</td>')
                continue
            mark = CHANGE_ARROW.get(r.status_change or "", "")
            mark_html = f' <span class="ch-{r.status_change}">{esc(mark)}</span>' if mark else ""
            tip = f"{STATUS_LABEL[r.status]}: {r.why}"
            if mark:
                tip += f" ({r.status_change}: {change_phrase(r)})"
            row.append(
                f'<td class="num" title="{esc(tip)}"><span class="status st-{r.status}">'
                f"{esc(STATUS_ICON[r.status])} {esc(format_value(r.actual, r.unit))}</span>"
                f"{mark_html}</td>"
            )
        rows.append(f"<tr>{''.join(row)}</tr>")
    by = esc(report.group_by or "group")
    legend = (
        '<p class="legend">Cell colour and icon: status (● met / on track, ▲ at risk, '
        "■ off track, ○ no data); ↑ improved, ↓ worsened, + new since "
        f"{esc(report.previous_period or 'the previous period')}; hover a cell for why.</p>"
    )
    return (
        f'<section class="members"><h2>By {by}</h2><table><thead><tr>'
        f'<th class="num">#</th><th>{by}</th><th class="num">Score</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{legend}</section>"
    )


def _findings(findings: list[Finding]) -> str:
    if not findings:
        return ""
    rows = "".join(
        f'<tr><td><span class="sev-{esc(f.severity)}">{esc(f.rule)}</span></td>'
        f"<td>{esc(f.severity)}</td><td>{esc(f.message)}</td>"
        f"<td>{esc(f.location or '')}</td></tr>"
        for f in findings
    )
    return (
        f'<section class="findings"><h2>Data quality ({len(findings)})</h2><table><thead>'
        "<tr><th>Rule</th><th>Severity</th><th>Message</th><th>Where</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _counts(results: list[KPIResult]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return "".join(
        f'<span><span class="status st-{s}">{esc(STATUS_ICON[s])} {counts[s]}</span> '
        f"{esc(STATUS_LABEL[s])}</span>"
        for s in STATUS_LABEL
        if counts.get(s)
    )


def render_html(report: Report) -> str:
    """The whole page as text (UTF-8 when written)."""
    title = report.title or "KPI scorecard"
    overall = [r for r in report.kpis if r.group is None]
    main = overall or list(report.kpis)
    meta = f"Period {period_heading(report)}"
    if report.group_by:
        meta += f" · by {report.group_by}"
    score = esc(format_ratio(report.score))
    perspectives = " · ".join(
        f"{esc(p.title or p.id)} {esc(format_ratio(p.score))}" for p in report.perspectives
    )
    sources = ", ".join(report.sources)
    body = [
        f"<header><h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(meta)} · overall score <span class="score">{score}</span></p>',
        f'<p class="counts">{_counts(main)}</p>',
        f'<p class="meta">{perspectives}</p>' if perspectives else "",
        "</header>",
        _changes(report, main),
        _scorecard(report, overall) if overall else "",
        _members(report),
        _findings(report.findings),
        f"<footer>Generated by kpicli{' from ' + esc(sources) if sources else ''}. "
        "Solid line: actual; dashed line: target.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="kpicli">'
        f"<title>{esc(title)} · {esc(report.period or '')}</title>"
        f"<style>{CSS}</style></head>\n<body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body></html>\n"
    )
