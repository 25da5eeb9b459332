"""ClickHouse schema and rollups, tagged queries returning polars frames, anomaly detection, reports."""
