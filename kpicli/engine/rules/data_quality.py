"""D rules (data quality): the examples of the findings the readers (kpicli.readers) and
kpicli.engine.quality make while the data is read and checked, each at its cell or line.

Their ids, severities and fixes are in the catalogue; nothing here runs on a RuleContext.
D600 and D608 have no examples: no text file can make them fire (the catalogue says why).
Examples with ``found_by="report"`` in the catalogue fire in ``kpi report``, the others in
``kpi validate`` too.
"""

from __future__ import annotations

from kpicli.engine.rules.catalogue import Example, examples

examples(
    "D601",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80 (est.)
2026-03,81
2026-04,82
2026-05,83
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-03,81
""",
    ),
)

examples(
    "D602",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
  - id: nps
    name: Net promoter score
""",
        data="""\
month,kpi,value
2026-01,csat,78
2026-01,csat,79
2026-01,nps,31
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
  - id: nps
    name: Net promoter score
""",
        data="""\
month,kpi,value
2026-01,csat,78
2026-01,nps,31
""",
    ),
)

examples(
    "D603",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-04,82
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-03,81
2026-04,82
""",
    ),
)

examples(
    "D604",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2099-03,81
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-03,81
""",
    ),
)

examples(
    "D605",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
  - id: nps
    name: Net promoter score
""",
        data="""\
month,csat,nps
2026-01,78,31
2026-02,80,33
2026-03,81,
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
  - id: nps
    name: Net promoter score
""",
        data="""\
month,csat,nps
2026-01,78,31
2026-02,80,33
2026-03,81,34
""",
    ),
)

examples(
    "D606",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: escalations
    name: Escalated tickets
    unit: count
""",
        data="""\
month,escalations
2026-01,12
2026-02,-3
2026-03,9
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: escalations
    name: Escalated tickets
    unit: count
""",
        data="""\
month,escalations
2026-01,12
2026-02,3
2026-03,9
""",
    ),
)

examples(
    "D607",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
soon,80
2026-03,81
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-03,81
""",
    ),
)

examples(
    "D609",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat,csat
2026-01,78,77
2026-02,80,79
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat,csat_email
2026-01,78,77
2026-02,80,79
""",
    ),
)

examples(
    "D610",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: tickets
    name: Tickets received
    unit: count
""",
        data="""\
month,tickets
2026-01,120
2026-02,95
Total,215
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: tickets
    name: Tickets received
    unit: count
""",
        data="""\
month,tickets
2026-01,120
2026-02,95
""",
    ),
)

examples(
    "D611",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-03,79
2026-04,810
2026-05,81
2026-06,80
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
month,csat
2026-01,78
2026-02,80
2026-03,79
2026-04,81
2026-05,81
2026-06,80
""",
    ),
)

examples(
    "D615",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    target: {value: 85, due: 2026-12}
""",
        data="""\
month,kpi,value,target
2026-01,csat,78,90
2026-02,csat,80,90
""",
    ),
    good=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    target: {value: 85, due: 2026-12}
""",
        data="""\
month,kpi,value,target
2026-01,csat,78,85
2026-02,csat,80,85
""",
    ),
)

examples(
    "D620",
    bad=Example(
        """\
data: {path: data.csv}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
date,csat
03/01/2026,78
04/02/2026,80
""",
    ),
    good=Example(
        """\
data: {path: data.csv, dayfirst: true}
kpis:
  - id: csat
    name: Customer satisfaction
    measure: {column: csat}
""",
        data="""\
date,csat
03/01/2026,78
04/02/2026,80
""",
    ),
)
