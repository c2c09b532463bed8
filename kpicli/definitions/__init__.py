"""Definitions: the KPI file (kpis.yaml) loaded with the line and column of every value."""
