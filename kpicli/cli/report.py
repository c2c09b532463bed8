"""`kpi report` and `kpi show`."""
