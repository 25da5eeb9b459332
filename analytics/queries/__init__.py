"""Tagged ClickHouse queries with bound parameters, returning polars frames or scalars."""
