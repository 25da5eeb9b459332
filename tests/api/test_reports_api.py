"""Reports: every format opens, definitions validate, saved reports and their schedule."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import httpx
import openpyxl
import polars as pl
import pytest

from tests.api.test_explorer_api import END, _tenant_with_traffic
from tests.api_client import bearer
from tests.factories import create_key, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
BASE = {"start": (END - dt.timedelta(days=2)).isoformat(), "end": END.isoformat(), "metrics": "events,error_rate"}


async def test_every_format_opens(api: httpx.AsyncClient) -> None:
    tenant = await _tenant_with_traffic(2_000)
    viewer = await create_key(tenant, "viewer")

    async def get(fmt: str, **extra: str) -> httpx.Response:
        resp = await api.get(
            "/api/v1/analytics/reports", params={**BASE, **extra, "format": fmt}, headers=bearer(viewer)
        )
        assert resp.status_code == 200, resp.text
        return resp

    csv = pl.read_csv(io.BytesIO((await get("csv")).content))
    assert csv.columns == ["bucket", "events", "error_rate"] and csv["events"].sum() == 2_000
    parquet = pl.read_parquet(io.BytesIO((await get("parquet", dimension="version")).content))
    assert set(parquet["version"].to_list()) == {"1", "2"} and parquet["events"].sum() == 2_000
    data = json.loads((await get("json")).content)
    assert data["summary"]["events"] == 2_000 and len(data["rows"]) == csv.height
    xlsx = (await get("xlsx")).content
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["Report", "Summary"] and book["Report"].max_row == csv.height + 1
    pdf = await get("pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    assert len(pdf.content) > 2_000 and pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page>") >= 2
    assert "attachment" in pdf.headers["content-disposition"]
    page = (await get("html")).text
    assert "2,000 turns" in page and "plotly" in page.lower()

    posted = await api.post(
        "/api/v1/analytics/reports/render",
        json={
            "metrics": ["events"],
            "dimensions": ["channel"],
            "start": BASE["start"],
            "end": BASE["end"],
            "format": "csv",
        },
        headers=bearer(viewer),
    )
    assert posted.status_code == 200 and pl.read_csv(io.BytesIO(posted.content))["events"].sum() == 2_000


@pytest.mark.parametrize(
    "params",
    [{"metrics": "nonsense"}, {"dimension": "colour"}, {"format": "docx"}, {"granularity": "minute", "range": "30d"}],
)
async def test_bad_definitions_are_4xx(api: httpx.AsyncClient, params: dict) -> None:
    tenant = await create_tenant()
    resp = await api.get("/api/v1/analytics/reports", params=params, headers=bearer(tenant.owner_key))
    assert resp.status_code in (400, 422) and "error" in resp.json()


async def test_saved_reports_and_scheduled_delivery(api: httpx.AsyncClient) -> None:
    from va_app.domain.reports import delivery, scheduler
    from va_app.domain.reports.saved import next_run

    tenant = await create_tenant()
    viewer = await create_key(tenant, "viewer")
    body = {"name": "Daily KPIs", "format": "csv", "schedule": "daily", "definition": {"metrics": ["events"]}}
    denied = await api.post("/api/v1/analytics/reports/saved", json=body, headers=bearer(viewer))
    assert denied.status_code == 403
    created = await api.post("/api/v1/analytics/reports/saved", json=body, headers=bearer(tenant.owner_key))
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["next_run_at"] and report["definition"]["metrics"] == ["events"]
    listed = (await api.get("/api/v1/analytics/reports/saved", headers=bearer(viewer))).json()
    assert [r["id"] for r in listed["data"]] == [report["id"]]

    received: list[delivery.ReportDelivery] = []
    unregister = delivery.register_delivery(received.append)
    try:
        due = dt.datetime.fromisoformat(report["next_run_at"]) + dt.timedelta(seconds=1)
        assert await scheduler.run_due(due) >= 1
        assert await scheduler.run_due(due) == 0  # moved to the next day: delivered once
    finally:
        unregister()
    mine = [r for r in received if r.report_id == report["id"]]
    assert len(mine) == 1 and mine[0].report.filename.endswith(".csv")
    after = (await api.get("/api/v1/analytics/reports/saved", headers=bearer(viewer))).json()["data"][0]
    assert after["last_status"].startswith("delivered") and after["next_run_at"] > report["next_run_at"]

    gone = await api.delete(f"/api/v1/analytics/reports/saved/{report['id']}", headers=bearer(tenant.owner_key))
    assert gone.status_code == 204
    assert (await api.get("/api/v1/analytics/reports/saved", headers=bearer(viewer))).json()["count"] == 0
    monday = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)  # a Tuesday, after 06:00
    assert next_run("weekly", monday) == dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    assert next_run("none", monday) is None
