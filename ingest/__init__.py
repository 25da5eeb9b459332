"""Event schemas, pure processors, batch writers and the consumer loop (``python -m ingest``)."""
