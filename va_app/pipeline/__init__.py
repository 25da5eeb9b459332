"""Health of the event pipeline as a tenant sees it: backlog, ingest rate, dead letters."""
