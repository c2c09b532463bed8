"""Readers: measurement files (CSV, workbooks, Parquet) and databases into the normalised Table."""

# The workbooks whose sheet XML kpicli reads itself (formula and format scan, fastexcel, the
# early read of kpicli.readers.sheet_xml). Here, where importing it costs nothing, so that
# deciding whether a file is one loads no reader.
SHEET_XML_SUFFIXES = (".xlsx", ".xlsm")
