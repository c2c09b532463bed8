"""The HTML one-pager: self-contained, escaped, complete; rendered in a real browser.

The browser tests run Debian's ``chromium`` headless (``.ci/run`` installs it): they skip
with a reason where it is absent and fail under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpicli.cli import app
from kpicli.model.results import Finding, HistoryPoint, KPIResult, Report, ScoreLine
from kpicli.writers.html import CSP, render_html
from tests.external import missing
from tests.test_changes import example_report
from tests.xlsx_fixtures import breakdown_report, summary_report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SUPPORT = str(EXAMPLES / "support" / "kpis.yaml")
runner = CliRunner()

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
PAYLOADS = (SCRIPT, IMG)
URL_ATTRS = {"src", "href", "xlink:href", "action", "formaction", "srcset", "poster", "data"}
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "span",
    "section", "table", "thead", "tbody", "tr", "th", "td", "details", "summary", "b", "br",
    "ul", "li", "svg", "polyline", "circle", "footer",
}  # fmt: skip


class Page(HTMLParser):
    """Every element, every attribute and the text, as a browser's parser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def hostile_report() -> Report:
    """Both payloads in every text field a writer shows: names, ids, owners, units, why,
    objective titles, members, findings, sources, the title."""

    def evil(i: int) -> str:
        return f"{PAYLOADS[i % 2]} n{i}"

    hist = [HistoryPoint(period="2026-09", actual=1.0, target=2.0),
            HistoryPoint(period="2026-10", actual=3.0, target=2.0)]  # fmt: skip
    kpis = []
    for i, group in enumerate([None, SCRIPT, IMG]):
        kpis.append(
            KPIResult(
                id=evil(10 + i), name=evil(20 + i), owner=evil(30 + i), unit=evil(40 + i),
                objective="obj", group=group, actual=3.0, target=2.0, attainment=1.5,
                status="met", previous_status="at_risk", status_change="improved",
                why=evil(50 + i), due=evil(60 + i), baseline=1.0, baseline_period=evil(70 + i),
                forecast=4.0, forecast_period=evil(80 + i), delta=2.0, history=hist,
            )
        )  # fmt: skip
    kpis.append(
        KPIResult(
            id="plain",
            name=evil(90),
            objective=IMG,
            status="no_data",
            previous_status="met",
            status_change="worsened",
            why=SCRIPT,
        )
    )
    return Report(
        title=evil(1), period="2026-10", previous_period="2026-09", score=1.2,
        group_by=evil(2), kpis=kpis,
        objectives=[ScoreLine(id="obj", title=evil(3), score=1.2),
                    ScoreLine(id=IMG, title=evil(4))],
        perspectives=[ScoreLine(id=SCRIPT, title=evil(5), score=1.0)],
        groups=[ScoreLine(id=SCRIPT, title=SCRIPT, score=1.0, rank=1),
                ScoreLine(id=IMG, title=IMG, score=0.5, rank=2)],
        findings=[Finding(rule=evil(6), severity="warning", message=evil(7), location=evil(8),
                          kpi=SCRIPT)],
        sources=[evil(9)],
    )  # fmt: skip


def assert_inert(page: Page) -> None:
    assert set(page.tags) <= ALLOWED_TAGS, set(page.tags) - ALLOWED_TAGS
    assert "script" not in page.tags and "img" not in page.tags
    assert not [k for k, _ in page.attrs if k.startswith("on")]
    assert not [k for k, _ in page.attrs if k in URL_ATTRS]


# --- the page as text -------------------------------------------------------------------------


def test_every_field_is_escaped() -> None:
    rep = hostile_report()
    text = render_html(rep)
    page = Page(text)
    assert_inert(page)
    # Each payload arrives as text, whole: numbered fields show every field was rendered.
    shown = page.all_text + " ".join(v for k, v in page.attrs if k in ("title", "aria-label"))
    for i in [1, 2, 3, 5, 6, 7, 8, 9, 20, 21, 22, 30, 40, 50, 60, 70, 80, 90]:
        assert f"{PAYLOADS[i % 2]} n{i}" in shown, i
    assert f"{PAYLOADS[0]} n10" in page.all_text  # the id (members share their KPI's)
    assert page.all_text.count(SCRIPT) >= 10 and page.all_text.count(IMG) >= 8
    assert "<script" not in text and "<img" not in text


def test_self_contained_and_locked_down() -> None:
    for rep in (example_report("support"), example_report("sales", by="rep"), summary_report()):
        text = render_html(rep)
        page = Page(text)
        assert_inert(page)
        assert ("content", CSP) in page.attrs
        assert ("http-equiv", "Content-Security-Policy") in page.attrs
        assert "url(" not in text and "@import" not in text
    # The shipped examples have no URL at all; the fixture's only one is a KPI name (text).
    assert "http:" not in render_html(example_report("support"))
    assert "https:" not in render_html(example_report("support"))


def test_every_kpi_status_and_change_shown() -> None:
    rep = example_report("support")
    page = Page(render_html(rep))
    text = page.all_text
    for r in rep.kpis:
        assert r.name in text and r.id in text
        assert r.why in text  # the why, inside <details> and in the print-only copy
    assert text.count("▲ at risk") == 1 and text.count("■ off track") == 2
    assert "Changes since 2026-09" in text
    assert "↓ worsened: Median resolution time (on track → at risk)" in text
    assert "↑ improved: Net Promoter Score (NPS) (off track → on track)" in text
    assert "↓ was on track" in text
    assert page.tags.count("details") == len(rep.kpis)
    assert page.tags.count("svg") == len(rep.kpis)  # a sparkline per KPI with history
    assert "D611" in text and "Data quality (1)" in text


def test_grouped_by_objective_in_report_order() -> None:
    rep = example_report("support")
    text = Page(render_html(rep)).all_text
    card = text[text.rindex("Scorecard") :]  # the table heading, after the Changes block
    bands = [card.index(o.title) for o in rep.objectives if o.title]
    assert bands == sorted(bands)
    for r in rep.kpis:
        i = next(n for n, o in enumerate(rep.objectives) if o.id == r.objective)
        end = bands[i + 1] if i + 1 < len(bands) else len(card)
        assert bands[i] < card.index(r.name) < end, r.id


def test_members_table_with_by() -> None:
    rep = example_report("sales", by="rep")
    page = Page(render_html(rep))
    assert "By rep" in page.all_text
    for g in rep.groups:
        assert g.id in page.all_text
    rep2 = breakdown_report()
    text = Page(render_html(rep2)).all_text
    assert "=Evil()" in text and "Deals won — Chen" in text


def test_sparkline_draws_the_history_and_target() -> None:
    r = KPIResult(id="k", name="K", status="met", history=[
        HistoryPoint(period="2026-08", actual=10.0, target=20.0),
        HistoryPoint(period="2026-09", actual=20.0, target=20.0),
        HistoryPoint(period="2026-10", actual=30.0, target=20.0)])  # fmt: skip
    rep = Report(kpis=[r], period="2026-10")
    text = render_html(rep)
    # 3 points over 132 px with 3 px padding; values 10..30 on 30 px high: y = 27 - (v-10)/20*24.
    assert 'points="3.0,27.0 66.0,15.0 129.0,3.0"' in text  # the actuals
    assert 'class="target" points="3.0,15.0 66.0,15.0 129.0,15.0"' in text  # the target


def test_writer_renders_and_never_recomputes() -> None:
    # Deliberately inconsistent numbers: the page shows them as given.
    r = KPIResult(id="k", name="K", actual=1.0, target=100.0, attainment=0.5, status="met",
                  previous_status="off_track", status_change="improved", why="as given")  # fmt: skip
    text = Page(render_html(Report(kpis=[r], period="2026-10", previous_period="2026-09")))
    assert "50%" in text.all_text and "● met" in text.all_text and "was off track" in text.all_text


# --- the command line -------------------------------------------------------------------------


def test_format_html_to_stdout() -> None:
    res = runner.invoke(app, ["report", SUPPORT, "--format", "html"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("<!DOCTYPE html>")
    assert res.stdout == render_html(example_report("support"))


@pytest.mark.parametrize("name", ["review.html", "REVIEW.HTM"])
def test_output_html_file(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    res = runner.invoke(app, ["report", SUPPORT, "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    assert f"wrote {out}" in res.stderr
    assert out.read_text(encoding="utf-8") == render_html(example_report("support"))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_html_never_overwrites_an_input(tmp_path: Path) -> None:
    data = tmp_path / "tickets.csv"
    data.write_bytes((EXAMPLES / "support" / "tickets.csv").read_bytes())
    before = data.read_bytes()
    res = runner.invoke(app, ["report", SUPPORT, "--data", str(data), "-o", str(data),
                              "--format", "html"])  # fmt: skip
    assert res.exit_code == 2 and "input" in res.stderr
    assert data.read_bytes() == before


def test_changes_with_html_is_a_clear_error() -> None:
    res = runner.invoke(app, ["report", SUPPORT, "--changes", "-f", "html"])
    assert res.exit_code == 2
    assert res.stderr.startswith("kpi: error: --changes")


# --- a real browser ---------------------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    missing("chromium is not installed (apt-get install chromium); .ci/run installs it")
    raise AssertionError  # unreachable


def browse(tmp_path: Path, page: Path, *args: str, dark: bool = False) -> tuple[str, str, list]:
    """Run headless chromium on ``page``; (stdout, console lines, the page's requests)."""
    netlog = tmp_path / f"net-{page.stem}-{len(args)}-{dark}.json"
    cmd = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        # No name resolves: the browser's own background calls and any request the page
        # might make fail here instead of leaving the machine; the net log still lists them.
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={netlog}",
        "--enable-logging=stderr", "--v=0", "--window-size=1280,1600",
        *(["--force-dark-mode"] if dark else []), *args, page.as_uri(),
    ]  # fmt: skip
    # A HOME of its own: CI may run without one, and the profile stays in the test's folder.
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    requests = []
    if netlog.exists():
        doc = json.loads(netlog.read_text(encoding="utf-8", errors="replace") or "{}")
        for e in doc.get("events", []):
            p = e.get("params", {})
            # Requests made by the page have the file's site; the browser's own do not.
            from_page = "site=file://" in str(p.get("site_for_cookies", ""))
            if "url" in p and from_page and not str(p["url"]).startswith(("file:", "data:")):
                requests.append(p["url"])
    return proc.stdout, console, requests


def first_pixel(png: Path) -> tuple[int, int, int]:
    """The top-left pixel's colour (filters never change a scanline's first pixel)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, b""
    width = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width = struct.unpack(">I", body[:4])[0]
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    raw = zlib.decompressobj().decompress(chunks, 16)
    assert width > 0
    return raw[1], raw[2], raw[3]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html")
    out = {}
    for name, rep in (("support", example_report("support")), ("hostile", hostile_report())):
        path = folder / f"{name}.html"
        path.write_text(render_html(rep), encoding="utf-8")
        out[name] = path
    return out


def test_browser_dom_has_every_kpi_and_no_request(tmp_path: Path, pages: dict[str, Path]) -> None:
    dom, console, requests = browse(tmp_path, pages["support"], "--dump-dom")
    page = Page(dom)
    assert_inert(page)
    rep = example_report("support")
    for r in rep.kpis:
        assert r.name in page.all_text
    assert page.tags.count("svg") == len(rep.kpis)
    assert console == []  # no console errors (a CSP violation would be one)
    assert requests == []


def test_browser_keeps_payloads_as_text(tmp_path: Path, pages: dict[str, Path]) -> None:
    dom, console, requests = browse(tmp_path, pages["hostile"], "--dump-dom")
    page = Page(dom)
    assert_inert(page)
    assert page.all_text.count(SCRIPT) >= 10 and page.all_text.count(IMG) >= 8
    assert console == [] and requests == []


def test_browser_request_check_can_fail(tmp_path: Path) -> None:
    # The detector itself: a page without kpicli's policy that loads an image is caught.
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p>x</p><img src="https://kpicli.invalid/x.png">')
    _, _, requests = browse(tmp_path, bad, "--dump-dom")
    assert requests == ["https://kpicli.invalid/x.png"]


def test_browser_screenshot_light_and_dark(tmp_path: Path, pages: dict[str, Path]) -> None:
    light, dark = tmp_path / "light.png", tmp_path / "dark.png"
    browse(tmp_path, pages["support"], f"--screenshot={light}")
    browse(tmp_path, pages["support"], f"--screenshot={dark}", dark=True)
    assert light.stat().st_size > 20_000 and dark.stat().st_size > 20_000
    assert sum(first_pixel(light)) > 700  # white page
    assert sum(first_pixel(dark)) < 120  # prefers-color-scheme: dark
    keep = os.environ.get("KPICLI_KEEP_SCREENSHOTS")
    if keep:
        shutil.copy(light, Path(keep) / "review-light.png")
        shutil.copy(dark, Path(keep) / "review-dark.png")


def test_browser_prints_to_pdf(tmp_path: Path, pages: dict[str, Path]) -> None:
    pdf = tmp_path / "review.pdf"
    browse(tmp_path, pages["support"], f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 1
