"""Exported reports: a report definition rendered to CSV, Parquet, XLSX, JSON, PDF or HTML,
saved definitions, and their scheduled delivery."""
