"""Walk every route in the OpenAPI document.

* without credentials every protected route answers 401;
* with another tenant's key every route naming a resource answers 404 (never 200 or 500);
* with too low a role every mutating route answers 403.

A new route fails this test until it is listed below (public) or given a sample body, so
isolation is checked for every route anyone adds.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
import pytest

from analytics import generator
from tests.api_client import bearer
from tests.factories import create_agent, create_key, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    # Authenticated by the provider's signature, not an API key (unsigned -> 401, checked in
    # tests/domain/integrations/test_integrations.py), and the WhatsApp verify-token handshake.
    ("POST", "/api/v1/integrations/webhook/{integration_id}"),
    ("GET", "/api/v1/integrations/webhook/{integration_id}"),
    # The web chat widget: a public script and an endpoint keyed by the public widget key + Origin.
    ("GET", "/api/v1/widget.js"),
    ("POST", "/api/v1/widget/messages"),
}
PLATFORM_ONLY = {("GET", "/api/v1/platform/status")}
# POST routes that only read (a query in the body): a viewer may call them.
READ_ONLY_POSTS = {
    ("POST", "/api/v1/knowledge-bases/{kb_id}/search"),
    ("POST", "/api/v1/agents/{agent_id}/chat"),  # chatting is Perm.CHAT, which viewers hold
    ("POST", "/api/v1/chat/completions"),
    ("POST", "/api/v1/llm/optimize"),  # a what-if over analytics: Perm.ANALYTICS_READ
    ("POST", "/api/v1/analytics/reports/render"),  # renders a report: Perm.ANALYTICS_READ
}
# Path parameters that name something in the caller's own namespace (an upsert), not another
# tenant's resource: another tenant's key simply writes its own, so no 404 is expected.
CALLER_NAMESPACED = {("PUT", "/api/v1/llm/providers/{provider}")}
# A valid body per mutating route, so a 403 is about the role and not the payload.
SAMPLE_BODIES: dict[tuple[str, str], dict] = {
    ("POST", "/api/v1/llm/query"): {"prompt": "What are your opening hours?"},
    ("POST", "/api/v1/llm/optimize"): {"days": 1},
    ("PUT", "/api/v1/llm/providers/{provider}"): {"api_key": "sk-isolation"},
    ("DELETE", "/api/v1/llm/providers/{provider}"): {},
    ("POST", "/api/v1/budgets"): {"period": "daily", "limit_usd": 1},
    ("DELETE", "/api/v1/budgets/{budget_id}"): {},
    ("POST", "/api/v1/agents/{agent_id}/chat"): {"message": "What are your opening hours?"},
    ("POST", "/api/v1/chat/completions"): {"model": "iso-agent", "messages": [{"role": "user", "content": "hi"}]},
    ("POST", "/api/v1/knowledge-bases"): {"name": "kb"},
    ("PATCH", "/api/v1/knowledge-bases/{kb_id}"): {"name": "renamed"},
    ("DELETE", "/api/v1/knowledge-bases/{kb_id}"): {},
    ("POST", "/api/v1/knowledge-bases/{kb_id}/reindex"): {},
    ("POST", "/api/v1/knowledge-bases/{kb_id}/documents"): {},  # multipart; checked before the body is read
    ("DELETE", "/api/v1/knowledge-bases/{kb_id}/documents/{doc_id}"): {},
    ("POST", "/api/v1/knowledge-bases/{kb_id}/search"): {"query": "opening hours", "k": 3},
    ("POST", "/api/v1/api-keys"): {"name": "x", "role": "viewer"},
    ("POST", "/api/v1/api-keys/{key_id}/rotate"): {"grace_period_hours": 1},
    ("DELETE", "/api/v1/api-keys/{key_id}"): {},
    ("POST", "/api/v1/users"): {"email": "someone@example.com", "role": "viewer"},
    ("PATCH", "/api/v1/users/{user_id}"): {"role": "viewer"},
    ("DELETE", "/api/v1/users/{user_id}"): {},
    ("POST", "/api/v1/analytics/events"): {
        "type": "analytics.metrics",
        "payload": {"name": "probe", "value": 1},
    },
    ("POST", "/api/v1/agents"): {"slug": "iso-agent", "name": "Isolation"},
    ("PATCH", "/api/v1/agents/{agent_id}"): {"name": "Renamed"},
    ("DELETE", "/api/v1/agents/{agent_id}"): {},
    ("POST", "/api/v1/agents/{agent_id}/restore"): {},
    ("POST", "/api/v1/agents/{agent_id}/versions"): {"system_prompt": "You help.", "change_note": "probe"},
    ("POST", "/api/v1/agents/{agent_id}/clone"): {"slug": "iso-clone"},
    ("POST", "/api/v1/agents/from-template"): {"template_id": "support-faq", "slug": "iso-template"},
    ("PUT", "/api/v1/agents/{agent_id}/deploy"): {"version": 1, "environment": "development"},
    ("POST", "/api/v1/agents/{agent_id}/promote"): {"from_environment": "development"},
    ("POST", "/api/v1/agents/{agent_id}/rollback"): {"environment": "development"},
    ("POST", "/api/v1/agents/{agent_id}/experiments"): {
        "name": "probe",
        "environment": "development",
        "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}],
    },
    ("POST", "/api/v1/agents/{agent_id}/experiments/{experiment_id}/stop"): {"reason": "probe"},
    ("POST", "/api/v1/alerts/rules"): {
        "kind": "threshold",
        "metric": "error_rate",
        "op": ">",
        "value": 0.05,
        "severity": "critical",
    },
    ("DELETE", "/api/v1/alerts/rules/{rule_id}"): {},
    ("POST", "/api/v1/analytics/reports/render"): {"metrics": ["events"], "format": "csv"},
    ("POST", "/api/v1/analytics/reports/saved"): {"name": "probe", "format": "csv"},
    ("DELETE", "/api/v1/analytics/reports/saved/{report_id}"): {},
    ("POST", "/api/v1/alerts/{alert_id}/ack"): {},
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): {},
    ("POST", "/api/v1/integrations/connect"): {
        "kind": "rest",
        "name": "iso",
        "config": {"url_template": "http://127.0.0.1:9/x"},
    },
    ("DELETE", "/api/v1/integrations/{integration_id}"): {},
    ("POST", "/api/v1/integrations/{integration_id}/actions/{action}"): {"params": {}},
    ("POST", "/api/v1/webhooks/subscriptions"): {"url": "http://127.0.0.1:9/hook", "event_types": ["alert"]},
    ("DELETE", "/api/v1/webhooks/subscriptions/{subscription_id}"): {},
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver"): {},
}


def _routes(spec: dict) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def _resources_of(api: httpx.AsyncClient, owner_key: str, agent_id: str) -> dict[str, str]:
    """Real ids of tenant A's resources, by path parameter name."""
    key = (await api.post("/api/v1/api-keys", json={"name": "r", "role": "viewer"}, headers=bearer(owner_key))).json()
    users = (await api.get("/api/v1/users", headers=bearer(owner_key))).json()["data"]
    return {
        "key_id": key["id"],
        "user_id": users[0]["user_id"],
        "agent_id": agent_id,
        **await _kb_ids(api, owner_key),
        **await _llm_ids(api, owner_key),
        **await _agent_ids(api, owner_key, agent_id),
        **await _alert_ids(api, owner_key),
        **await _report_ids(api, owner_key),
        **await _integration_ids(api, owner_key),
    }


async def _agent_ids(api: httpx.AsyncClient, owner_key: str, agent_id: str) -> dict[str, str]:
    version = (
        await api.post(f"/api/v1/agents/{agent_id}/versions", json={"system_prompt": "p"}, headers=bearer(owner_key))
    ).json()
    return {"n": str(version["number"]), "experiment_id": str(uuid.uuid4())}


async def _llm_ids(api: httpx.AsyncClient, owner_key: str) -> dict[str, str]:
    await api.put("/api/v1/llm/providers/anthropic", json={"api_key": "sk-a"}, headers=bearer(owner_key))
    budget = (
        await api.post("/api/v1/budgets", json={"period": "monthly", "limit_usd": 5}, headers=bearer(owner_key))
    ).json()
    return {"provider": "anthropic", "budget_id": budget["id"]}


async def _alert_ids(api: httpx.AsyncClient, owner_key: str) -> dict[str, str]:
    rule = await api.post(
        "/api/v1/alerts/rules",
        json={"kind": "anomaly", "metrics": ["events"], "severity": "info"},
        headers=bearer(owner_key),
    )
    return {"rule_id": rule.json()["id"], "alert_id": str(uuid.uuid4())}


async def _report_ids(api: httpx.AsyncClient, owner_key: str) -> dict[str, str]:
    """A saved report, and a conversation that exists in tenant A's analytics only."""
    saved = await api.post("/api/v1/analytics/reports/saved", json={"name": "r"}, headers=bearer(owner_key))
    me = (await api.get("/api/v1/auth/permissions", headers=bearer(owner_key))).json()
    end = dt.datetime.now(dt.UTC)
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(me["tenant_id"], (generator.AgentSpec("iso-agent", (1,)),))],
        events=20,
        end=end,
        days=1,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    found = (await api.get("/api/v1/conversations", headers=bearer(owner_key))).json()["data"]
    assert found, "tenant A has conversations in analytics"
    return {"report_id": saved.json()["id"], "conversation_id": found[0]["conversation_id"]}


async def _integration_ids(api: httpx.AsyncClient, owner_key: str) -> dict[str, str]:
    body = {"kind": "rest", "name": "iso", "config": {"url_template": "http://127.0.0.1:9/x"}}
    integration = await api.post("/api/v1/integrations/connect", json=body, headers=bearer(owner_key))
    sub = await api.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["alert"]},
        headers=bearer(owner_key),
    )
    return {
        "integration_id": integration.json()["id"],
        "action": "call",
        "subscription_id": sub.json()["id"],
        "delivery_id": str(uuid.uuid4()),
    }


async def _kb_ids(api: httpx.AsyncClient, owner_key: str) -> dict[str, str]:
    kb = (await api.post("/api/v1/knowledge-bases", json={"name": "kb"}, headers=bearer(owner_key))).json()
    files = {"file": ("hours.txt", b"We are open from 9 to 5.", "text/plain")}
    doc = (
        await api.post(f"/api/v1/knowledge-bases/{kb['id']}/documents", files=files, headers=bearer(owner_key))
    ).json()
    return {"kb_id": kb["id"], "doc_id": doc["id"]}


def _fill(path: str, ids: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            pytest.fail(f"no sample id for path parameter '{name}' in {path}: add one in _resources_of")
        return ids[name]

    return re.sub(r"{([^}]+)}", sub, path)


async def test_every_route_is_authenticated_isolated_and_role_checked(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/api/v1/openapi.json")).json()
    routes = _routes(spec)
    assert len(routes) >= 10
    tenant_a, tenant_b = await create_tenant(), await create_tenant()
    ids = await _resources_of(api, tenant_a.owner_key, await create_agent(tenant_a))
    viewer_a = await create_key(tenant_a, "viewer")
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        url = _fill(path, ids)
        body = SAMPLE_BODIES.get((method, path))
        if method != "GET" and body is None:
            pytest.fail(f"{method} {path}: add a valid sample body to SAMPLE_BODIES")
        kwargs = {"json": body} if body else {}

        anonymous = await api.request(method, url, **kwargs)
        assert anonymous.status_code == 401, f"{method} {path} without credentials: {anonymous.status_code}"
        assert anonymous.json()["error"]["code"] == "not_authenticated"

        if "{" in path and (method, path) not in CALLER_NAMESPACED:
            other = await api.request(method, url, headers=bearer(tenant_b.owner_key), **kwargs)
            assert other.status_code == 404, f"{method} {path} with another tenant's key: {other.status_code}"

        if (method != "GET" and (method, path) not in READ_ONLY_POSTS) or (method, path) in PLATFORM_ONLY:
            low = await api.request(method, url, headers=bearer(viewer_a), **kwargs)
            assert low.status_code == 403, f"{method} {path} as viewer: {low.status_code} {low.text}"


async def test_unknown_ids_are_404_not_500(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    for url in (f"/api/v1/api-keys/{uuid.uuid4()}", f"/api/v1/users/{uuid.uuid4()}"):
        resp = await api.delete(url, headers=bearer(tenant.owner_key))
        assert resp.status_code == 404
    bad = await api.delete("/api/v1/api-keys/not-a-uuid", headers=bearer(tenant.owner_key))
    assert bad.status_code == 422
