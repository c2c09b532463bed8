"""Readers: measurement files (CSV, workbooks, Parquet) and databases into the normalised Table."""
