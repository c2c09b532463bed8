"""`kpi validate`, `kpi rules`, `kpi schema` (placeholder until the validate work lands)."""
