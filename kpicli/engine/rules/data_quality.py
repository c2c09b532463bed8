"""D rules (data quality): the examples of the findings the readers (kpicli.readers) and
kpicli.engine.quality make while the data is read and checked, each at its cell or line.

Their ids, severities and fixes are in the catalogue; nothing here runs on a RuleContext.
D600 and D608 have no examples: no text file can make them fire (the catalogue says why).
Examples with ``found_by="report"`` in the catalogue fire in ``kpi report``, the others in
``kpi validate`` too.
"""

from __future__ import annotations

from kpicli.engine.rules.catalogue import examples
from kpicli.engine.rules.example import NPS, kpi_file, monthly

examples(
    "D601",
    bad=kpi_file("measure: {column: csat}", data=monthly("csat", 78, "80 (est.)", 81, 82, 83)),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 81)),
)

examples(
    "D602",
    bad=kpi_file(more=NPS, data="month,kpi,value\n2026-01,csat,78\n2026-01,csat,79\n2026-01,nps,31\n"),
    good=kpi_file(more=NPS, data="month,kpi,value\n2026-01,csat,78\n2026-01,nps,31\n"),
)

examples(
    "D603",
    bad=kpi_file("measure: {column: csat}", data="month,csat\n2026-01,78\n2026-02,80\n2026-04,82\n"),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 81, 82)),
)

examples(
    "D604",
    bad=kpi_file("measure: {column: csat}", data="month,csat\n2026-01,78\n2026-02,80\n2099-03,81\n"),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 81)),
)

examples(
    "D605",
    bad=kpi_file(more=NPS, data="month,csat,nps\n2026-01,78,31\n2026-02,80,33\n2026-03,81,\n"),
    good=kpi_file(more=NPS, data="month,csat,nps\n2026-01,78,31\n2026-02,80,33\n2026-03,81,34\n"),
)

examples(
    "D606",
    bad=kpi_file("unit: count", kpi="escalations", name="Escalated tickets", data=monthly("escalations", 12, -3, 9)),
    good=kpi_file("unit: count", kpi="escalations", name="Escalated tickets", data=monthly("escalations", 12, 3, 9)),
)

examples(
    "D607",
    bad=kpi_file("measure: {column: csat}", data="month,csat\n2026-01,78\nsoon,80\n2026-03,81\n"),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 81)),
)

examples(
    "D609",
    bad=kpi_file("measure: {column: csat}", data="month,csat,csat\n2026-01,78,77\n2026-02,80,79\n"),
    good=kpi_file("measure: {column: csat}", data="month,csat,csat_email\n2026-01,78,77\n2026-02,80,79\n"),
)

examples(
    "D610",
    bad=kpi_file("unit: count", kpi="tickets", name="Tickets received",
             data="month,tickets\n2026-01,120\n2026-02,95\nTotal,215\n"),
    good=kpi_file("unit: count", kpi="tickets", name="Tickets received", data=monthly("tickets", 120, 95)),
)

examples(
    "D611",
    bad=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 79, 810, 81, 80)),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 79, 81, 81, 80)),
)

examples(
    "D615",
    bad=kpi_file("target: {value: 85, due: 2026-12}", data="month,kpi,value,target\n2026-01,csat,78,90\n2026-02,csat,80,90\n"),
    good=kpi_file("target: {value: 85, due: 2026-12}", data="month,kpi,value,target\n2026-01,csat,78,85\n2026-02,csat,80,85\n"),
)

examples(
    "D620",
    bad=kpi_file("measure: {column: csat}", data="date,csat\n03/01/2026,78\n04/02/2026,80\n"),
    good=kpi_file("measure: {column: csat}", top="data: {path: data.csv, dayfirst: true}\n", data="date,csat\n03/01/2026,78\n04/02/2026,80\n"),
)
