"""Write the reader test files under tests/data (run: .venv/bin/python tests/make_test_data.py)."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

DATA = Path(__file__).parent / "data"

RECORDS_HEADER = "date,team,tickets,csat,resolution_hours\n"
RECORDS_ROWS = [
    ("2026-01-05", "Nord", 120, 0.82, 30.5),
    ("2026-01-19", "Süd", 95, 0.78, 28.0),
    ("2026-02-02", "Nord", 130, 0.85, 27.25),
    ("2026-02-16", "Süd", 101, 0.8, 26.0),
]


def _records_csv(sep: str = ",", decimal: str = ".") -> str:
    lines = [RECORDS_HEADER.replace(",", sep)]
    for d, team, tickets, csat, hours in RECORDS_ROWS:
        cells = [d, team, str(tickets), f"{csat}", f"{hours}"]
        if decimal == ",":
            cells = [c.replace(".", ",") if i >= 3 else c for i, c in enumerate(cells)]
        lines.append(sep.join(cells) + "\n")
    return "".join(lines)


def write_text_files() -> None:
    (DATA / "utf8.csv").write_text(_records_csv(), encoding="utf-8", newline="")
    (DATA / "utf8_bom.csv").write_text(_records_csv(), encoding="utf-8-sig", newline="")
    # Windows-1252 with umlauts, as Excel on a German Windows saves "CSV (Trennzeichen-getrennt)".
    text = (
        _records_csv(sep=";", decimal=",").replace("Nord", "Müller-Straße").replace("Süd", "Größe")
    )
    (DATA / "cp1252.csv").write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    # Semicolons, decimal commas and thousands dots.
    (DATA / "semicolon_decimal.csv").write_text(
        "Monat;Team;Umsatz;Quote\n"
        "2026-01;Nord;1.234,5;12,5 %\n"
        "2026-02;Nord;12.500;13,75 %\n"
        "2026-03;Nord;987,25;9 %\n",
        encoding="utf-8",
        newline="",
    )
    (DATA / "tabs.tsv").write_text(_records_csv(sep="\t"), encoding="utf-8", newline="")
    (DATA / "pipes.txt").write_text(_records_csv(sep="|"), encoding="utf-8", newline="")
    # A title line, a blank line, a quoted field with a line break, a total row and a bad date.
    (DATA / "quoted_newline.csv").write_text(
        "Support export (generated 2026-03-01)\n"
        "\n"
        "date,team,note,tickets\n"
        '2026-01-05,Nord,"first line\nsecond line",120\n'
        "2026-01-06,Süd,plain,95\n"
        "\n"
        '2026-01-07,Nord,"say ""hi""",n/a\n'
        "2026-01-08,Süd,text,lots\n"
        "2026-01-09,Nord,,101\n"
        "2026-01-10,Süd,,102\n"
        "2026-01-11,Nord,,103\n"
        "someday,Nord,,7\n"
        "Total,,,215\n",
        encoding="utf-8",
        newline="",
    )
    (DATA / "long.csv").write_text(
        "Month,KPI,Value,Target,Team\n"
        '2026-01,Revenue,"110,250",100000,North\n'
        "2026-01,CSAT,0.82,0.85,North\n"
        '2026-02,Revenue,"120,500",100000,North\n'
        "2026-02,CSAT,0.86,0.85,North\n"
        "2026-02,Revenue,tbd,100000,South\n",
        encoding="utf-8",
        newline="",
    )
    (DATA / "empty.csv").write_bytes(b"")
    (DATA / "header_only.csv").write_text("date,tickets,csat\n", encoding="utf-8")
    (DATA / "no_dates.csv").write_text("team,tickets\nNord,1\nSüd,2\n", encoding="utf-8")
    exports = DATA / "exports"
    exports.mkdir(exist_ok=True)
    (exports / "2026-01.csv").write_text(
        "date,team,tickets\n2026-01-05,Nord,120\n2026-01-19,Süd,95\n", encoding="utf-8"
    )
    (exports / "2026-02.csv").write_text(
        "date,team,tickets\n2026-02-02,Nord,130\n", encoding="utf-8"
    )
    (DATA / "csv_renamed.xlsx").write_text(_records_csv(), encoding="utf-8")
    (DATA / "random.xlsx").write_bytes(random.Random(7).randbytes(4096))


def write_tracker() -> None:
    """The classic tracker: title rows, merged title, one row per KPI, one column per month."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws["A1"] = "KPI Tracker 2026"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:H1")
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = "Figures as of 2026-03-05; targets per month"
    ws.append([])
    header = [
        "KPI",
        "Owner",
        "Unit",
        "Target",
        dt.datetime(2026, 1, 1),
        "Feb 2026",
        "2026-03",
        "Apr-26",
    ]
    ws.append(header)  # row 4
    ws["E4"].number_format = "mmm yyyy"
    ws.append(["Revenue", "Ann", "EUR", 100000, 95000, "110,250", "=E5+F5", None])  # row 5
    ws.append(["CSAT", "Ben", "%", 0.85, 0.82, 0.86, 0.9, None])  # row 6
    for cell in ("D6", "E6", "F6", "G6"):
        ws[cell].number_format = "0%"
    ws.append(["Churn rate", "Cy", "percent", 0.05, 0.04, 0.06, "tbd", None])  # row 7
    ws.append(["Margin", "Di", "ratio", 1.5, "#DIV/0!", 1.4, None, None])  # row 8
    ws.append([None, None, None, None, None, None, None, None])  # row 9: empty
    ws.append(["Tickets", "Ed", "count", 500, 480, 510, 505, 515])  # row 10
    wb.create_sheet("Notes")["A1"] = "nothing here"
    wb.save(DATA / "tracker.xlsx")


def write_records_workbook() -> None:
    """Records layout on the second sheet, below two title rows, with Excel's realities."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Read me"
    notes["A1"] = "This workbook holds the ticket export."
    notes["A2"] = "The data is on the next sheet."
    ws = wb.create_sheet("Tickets")
    ws["B1"] = "Ticket export"
    ws.merge_cells("B1:G1")
    ws["B2"] = "Source: helpdesk"
    ws.append([])
    ws.append([None, "Closed", "Team", "Tickets", "CSAT", "Hours", "Hours"])  # row 4
    rows = [
        (dt.date(2026, 1, 5), "North", 120, 0.82, "30,5", 1),
        (dt.date(2026, 1, 19), None, "95", 0.78, "28", 2),  # team merged from above
        (46055, "South", "1,130", 0.85, "27,25", 3),  # 46055 = 2026-02-02 as an Excel serial
        (dt.datetime(2026, 2, 16, 14, 30), "South", 101, 0.8, "n/a", 4),
        ("Feb 30th", "South", 7, 0.5, "1", 5),
    ]
    for r in rows:
        ws.append([None, *r])
    ws.merge_cells("C5:C6")
    for row in range(5, 10):
        ws[f"E{row}"].number_format = "0%"
    ws["G10"] = "=SUM(G5:G9)"  # formula without a cached value, below the data
    wb.save(DATA / "records.xlsx")


def write_placeholder_formulas() -> None:
    """A workbook whose formulas carry a placeholder 0, as XlsxWriter saves them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Month", "Orders", "Visits", "Total"])
    ws.append(["2026-01", 10, 100, "=B2+C2"])
    ws.append(["2026-02", 12, 110, "=B3+C3"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(DATA / "placeholder_formulas.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<v />", b"<v>0</v>").replace(b"<v/>", b"<v>0</v>")
            out.writestr(item, data)


def write_truncated() -> None:
    data = (DATA / "tracker.xlsx").read_bytes()
    (DATA / "truncated.xlsx").write_bytes(data[: len(data) // 2])


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods_cell(v: object) -> str:
    if v is None:
        return "<table:table-cell/>"
    if isinstance(v, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
            f"<text:p>{v.isoformat()}</text:p></table:table-cell>"
        )
    if isinstance(v, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{v}">'
            f"<text:p>{v}</text:p></table:table-cell>"
        )
    text = re.sub(r"[<&>]", lambda m: {"<": "&lt;", "&": "&amp;", ">": "&gt;"}[m.group()], str(v))
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def write_ods() -> None:
    """A minimal OpenDocument spreadsheet written from the ODF 1.2 package rules by hand."""
    rows = [
        ["Month", "Team", "Tickets", "CSAT"],
        [dt.date(2026, 1, 1), "Nord", 120, 82.5],
        [dt.date(2026, 2, 1), "Süd", 95, 78],
    ]
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in r) + "</table:table-row>" for r in rows
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="Daten">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(DATA / "small.ods", "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def main() -> None:
    DATA.mkdir(exist_ok=True)
    write_text_files()
    write_tracker()
    write_records_workbook()
    write_placeholder_formulas()
    write_truncated()
    write_ods()


if __name__ == "__main__":
    main()
