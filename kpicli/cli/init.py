"""`kpi init`: a starter kpis.yaml plus sample data."""
