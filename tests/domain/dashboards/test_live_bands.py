"""The dashboard's expected bands: learned from two weeks of history, and no verdict on the
volume of the hour still running (it holds only part of an hour's turns)."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl
import pytest

from analytics import generator
from analytics.queries import metrics as mq
from va_app.domain.dashboards.live import _bands

pytestmark = [pytest.mark.clickhouse]


def test_bands_cover_the_range_but_not_the_running_hours_volume() -> None:
    tenant = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    if now.minute < 5:  # keep the running hour partial but non-empty
        now = now.replace(minute=20)
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(tenant, (generator.AgentSpec("front-desk", (1,)),))],
        events=60_000,
        end=now,
        days=16,
        seed=5,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)

    bands = _bands(mq.MetricQuery(tenant, now - dt.timedelta(hours=24), now, "hour", None, {}))
    running = now.replace(minute=0)
    volume = bands.filter(pl.col("metric") == "events").drop_nulls("upper")
    assert volume.height >= 20  # two weeks of history give the volume band for the range
    assert running not in volume["bucket"].to_list()
    assert running in bands.filter(pl.col("metric") == "error_rate")["bucket"].to_list()
