"""Readers (YAML with positions, CSV, workbooks) and writers (terminal, JSON, CSV, Markdown, xlsx)."""
