"""Alerting end to end: generated traffic with an incident -> alerts -> notifier; and the API."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from analytics import generator
from core import db
from models.repositories import alerts as alerts_repo
from tests.api_client import bearer
from tests.factories import create_agent, create_key, create_tenant
from va_app.domain.alerts import evaluator, notify, service
from va_app.domain.alerts.notify import AlertNotification

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
END = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


async def _tenant_with_incident():  # type: ignore[no-untyped-def]
    tenant = await create_tenant()
    broken, healthy = await create_agent(tenant, slug="broken"), await create_agent(tenant, slug="healthy")
    spec = generator.GeneratorSpec(
        tenants=[
            generator.TenantSpec(str(tenant.tenant_id), (generator.AgentSpec(broken), generator.AgentSpec(healthy)))
        ],
        events=300_000,
        end=END,
        days=14,
        seed=3,
        incidents=[generator.Incident(broken, END - dt.timedelta(hours=3), END, error_rate=0.25, latency_factor=4.0)],
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    return tenant, broken, healthy


async def test_evaluator_fires_notifies_dedups_and_resolves() -> None:
    tenant, broken, healthy = await _tenant_with_incident()
    owner = tenant.owner()
    await service.create_rule(owner, kind="anomaly", metrics=["error_rate", "latency_p95"], severity="critical")
    # the default "error rate > 1 %" may trip on one unlucky error of a quiet agent; 10 % over 30 min may not
    await service.create_rule(
        owner, kind="threshold", metric="error_rate", op=">", value=0.1, for_minutes=30, severity="critical"
    )
    received: list[AlertNotification] = []
    unregister = notify.register_notifier(received.append)
    try:
        first = await evaluator.evaluate_tenant(tenant.tenant_id, now=END)
        assert first.opened
        views, _ = await service.list_alerts(tenant.owner(), state="firing", limit=200)
        by_kind = {(v.kind, v.metric, v.agent_id) for v in views}
        assert ("threshold", "error_rate", broken) in by_kind
        strict = {v.agent_id for v in views if v.kind == "threshold" and v.threshold == 0.1}
        assert strict == {broken}
        anomalies = {(m, a) for k, m, a in by_kind if k == "anomaly"}
        assert anomalies & {("error_rate", broken), ("latency_p95", broken)}
        assert not {(m, a) for m, a in anomalies if a == healthy and m in ("error_rate", "latency_p95")}
        assert len({v.group_key for v in views if v.agent_id == broken}) == 1

        fired = [n for n in received if n.transition == "firing" and n.agent_id == broken]
        assert {n.metric for n in fired} >= {"error_rate"}
        error_note = next(n for n in fired if n.kind == "threshold" and n.metric == "error_rate")
        assert error_note.severity == "critical" and error_note.value and error_note.value > 0.1
        assert error_note.link.startswith(f"/analytics?agent={broken}&metric=error_rate&from=")

        again = await evaluator.evaluate_tenant(tenant.tenant_id, now=END)
        assert not again.opened and again.updated, "a persisting condition updates, never duplicates"

        later = await evaluator.evaluate_tenant(tenant.tenant_id, now=END + dt.timedelta(days=1))
        assert set(first.opened) <= set(later.resolved), "no traffic, no condition: everything resolves"
        assert any(n.transition == "resolved" for n in received)
    finally:
        unregister()


async def _stored_alert(tenant_id: uuid.UUID, agent: str = "agent-x") -> str:
    async with db.session_scope() as session:
        alert = await alerts_repo.create_alert(
            session=session,
            tenant_id=tenant_id,
            fields={
                "fingerprint": f"manual:{uuid.uuid4()}",
                "group_key": f"{tenant_id}:{agent}",
                "agent_id": agent,
                "metric": "error_rate",
                "kind": "threshold",
                "severity": "critical",
                "title": "error rate above 1 %",
                "value": 0.2,
                "threshold": 0.01,
                "details": {},
                "link": "/analytics",
            },
        )
        return str(alert.id)


async def test_rules_crud_and_validation(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    owner = bearer(tenant.owner_key)
    listed = (await api.get("/api/v1/alerts/rules", headers=owner)).json()
    defaults = {(r["kind"], tuple(r["metrics"])) for r in listed["data"] if r["is_default"]}
    assert defaults == {
        ("threshold", ("latency_p95",)),
        ("threshold", ("error_rate",)),
        ("deployment", ()),
        ("anomaly", ("cost_usd",)),
    }
    body = {"kind": "threshold", "metric": "latency_p99", "op": ">=", "value": 2000, "severity": "warning"}
    created = await api.post("/api/v1/alerts/rules", json=body, headers=owner)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["metrics"] == ["latency_p99"] and rule["for_minutes"] == 5
    anomaly = await api.post(
        "/api/v1/alerts/rules",
        json={"kind": "anomaly", "metrics": ["events", "handoff_rate"], "sensitivity": "high", "severity": "info"},
        headers=owner,
    )
    assert anomaly.status_code == 201 and anomaly.json()["sensitivity"] == "high"

    for bad in (
        {"kind": "threshold", "metric": "error_rate", "op": ">", "value": 5, "severity": "critical"},
        {"kind": "threshold", "metric": "error_rate", "severity": "critical"},
        {"kind": "anomaly", "metrics": ["csat"], "severity": "critical"},
        {"kind": "threshold", "metric": "error_rate", "op": ">", "value": 0.1, "severity": "loud"},
        {"kind": "threshold", "metric": "error_rate", "op": ">", "value": 0.1, "unknown": 1},
    ):
        resp = await api.post("/api/v1/alerts/rules", json=bad, headers=owner)
        assert resp.status_code in (400, 422), (bad, resp.text)
        assert "error" in resp.json()

    assert (await api.delete(f"/api/v1/alerts/rules/{rule['id']}", headers=owner)).status_code == 204
    assert (await api.delete(f"/api/v1/alerts/rules/{rule['id']}", headers=owner)).status_code == 404
    ids = {r["id"] for r in (await api.get("/api/v1/alerts/rules", headers=owner)).json()["data"]}
    assert rule["id"] not in ids

    viewer = bearer(await create_key(tenant, "viewer"))
    assert (await api.get("/api/v1/alerts/rules", headers=viewer)).status_code == 200
    assert (await api.post("/api/v1/alerts/rules", json=body, headers=viewer)).status_code == 403

    audit = (await api.get("/api/v1/audit-logs", params={"action": "alert_rule."}, headers=owner)).json()["data"]
    assert {e["action"] for e in audit} >= {"alert_rule.created", "alert_rule.deleted"}


async def test_alerts_list_ack_resolve_and_isolation(api: httpx.AsyncClient) -> None:
    tenant, other = await create_tenant(), await create_tenant()
    owner = bearer(tenant.owner_key)
    first = await _stored_alert(tenant.tenant_id, "agent-a")
    second = await _stored_alert(tenant.tenant_id, "agent-b")
    received: list[AlertNotification] = []
    unregister = notify.register_notifier(received.append)
    try:
        page = (await api.get("/api/v1/alerts", params={"limit": 1}, headers=owner)).json()
        assert page["count"] == 1 and page["next_cursor"]
        rest = (await api.get("/api/v1/alerts", params={"cursor": page["next_cursor"]}, headers=owner)).json()
        assert {page["data"][0]["id"], rest["data"][0]["id"]} == {first, second}

        acked = await api.post(f"/api/v1/alerts/{first}/ack", headers=owner)
        assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
        assert acked.json()["acknowledged_by"]
        assert (await api.post(f"/api/v1/alerts/{first}/ack", headers=owner)).status_code == 200  # idempotent
        resolved = await api.post(f"/api/v1/alerts/{first}/resolve", headers=owner)
        assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
        conflict = await api.post(f"/api/v1/alerts/{first}/ack", headers=owner)
        assert conflict.status_code == 409
        assert [n.transition for n in received] == ["acknowledged", "resolved"]

        open_only = (await api.get("/api/v1/alerts", params={"state": "open"}, headers=owner)).json()["data"]
        assert [a["id"] for a in open_only] == [second]
        by_agent = (await api.get("/api/v1/alerts", params={"agent": "agent-a"}, headers=owner)).json()["data"]
        assert [a["id"] for a in by_agent] == [first]
        critical = (await api.get("/api/v1/alerts", params={"severity": "critical"}, headers=owner)).json()
        assert critical["count"] == 2
        assert (await api.get("/api/v1/alerts", params={"state": "asleep"}, headers=owner)).status_code == 422
        assert (await api.get("/api/v1/alerts", params={"cursor": "garbage"}, headers=owner)).status_code == 400

        stranger = bearer(other.owner_key)
        assert (await api.get("/api/v1/alerts", headers=stranger)).json()["count"] == 0
        assert (await api.post(f"/api/v1/alerts/{second}/ack", headers=stranger)).status_code == 404
        assert (await api.post(f"/api/v1/alerts/{uuid.uuid4()}/resolve", headers=owner)).status_code == 404
        viewer = bearer(await create_key(tenant, "viewer"))
        assert (await api.post(f"/api/v1/alerts/{second}/ack", headers=viewer)).status_code == 403

        audit = (await api.get("/api/v1/audit-logs", params={"action": "alert."}, headers=owner)).json()["data"]
        assert {e["action"] for e in audit} == {"alert.acknowledged", "alert.resolved"}
    finally:
        unregister()


async def test_rule_recipients_are_validated_and_kept(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    body = {
        "kind": "threshold",
        "metric": "error_rate",
        "op": ">",
        "value": 0.05,
        "severity": "critical",
        "email_to": ["oncall@example.com"],
        "slack_channel": "#ops-alerts",
    }
    created = await api.post("/api/v1/alerts/rules", json=body, headers=bearer(tenant.owner_key))
    assert created.status_code == 201, created.text
    assert created.json()["params"]["email_to"] == ["oncall@example.com"]
    assert created.json()["params"]["slack_channel"] == "#ops-alerts"
    bad = await api.post(
        "/api/v1/alerts/rules", json={**body, "email_to": ["not-an-address"]}, headers=bearer(tenant.owner_key)
    )
    assert bad.status_code == 400
