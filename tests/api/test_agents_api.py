"""Agents end to end through the API: CRUD, immutable versions, promotion, rollouts driven by
analytics, rollback, experiments, templates, health, audit and event trail."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx
import orjson
import pytest

from analytics import generator
from core import cache
from core.bus_redis import stream_name
from tests.api_client import bearer
from tests.factories import create_key, create_tenant
from va_app.domain.agents import resolver
from va_app.domain.agents.controller import rollout_controller_tick

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
API = "/api/v1"


async def _agent(api: httpx.AsyncClient, h: dict, slug: str | None = None, **fields: object) -> str:
    body = {"slug": slug or f"a-{uuid.uuid4().hex[:8]}", "name": "Concierge", **fields}
    resp = await api.post(f"{API}/agents", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


async def _version(api: httpx.AsyncClient, h: dict, agent: str, **content: object) -> int:
    body = {"system_prompt": "You are a concierge.", "change_note": "test", **content}
    resp = await api.post(f"{API}/agents/{agent}/versions", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    return resp.json()["number"]


async def _deploy(api: httpx.AsyncClient, h: dict, agent: str, version: int, env: str, **extra: object):
    body = {"version": version, "environment": env, **extra}
    return await api.put(f"{API}/agents/{agent}/deploy", json=body, headers=h)


async def _ship(api: httpx.AsyncClient, h: dict, agent: str, version: int, until: str = "production") -> None:
    for env in ("development", "staging", "production"):
        resp = await _deploy(api, h, agent, version, env)
        assert resp.status_code == 200, resp.text
        if env == until:
            return


async def _agent_events(tenant_id: str) -> list[dict]:
    entries = await cache.get_redis().xrange(stream_name("agent.events"))
    events: list[dict] = []
    for _id, fields in entries:
        for event in orjson.loads(fields[b"v"])["events"]:
            if event["tenant_id"] == tenant_id:
                events.append(event)
    return events


def _traffic(tenant_id: str, agent: str, start: dt.datetime, end: dt.datetime, seed: int, **incident: object) -> None:
    """Synthetic turns for versions 1 (10 %) and 2 (90 %) in [start, end), optionally an incident on one version."""
    incidents = [generator.Incident(agent, start, end, **incident)] if incident else []  # type: ignore[arg-type]
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(tenant_id, (generator.AgentSpec(agent, (1, 2)),))],
        events=4000,
        end=end,
        days=(end - start).total_seconds() / 86400,
        seed=seed,
        incidents=incidents,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)


async def test_crud_slug_conflict_and_archive(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await _agent(api, h, "front-desk", brand="aurelia", channels=["web", "whatsapp"], description="Lobby")
    got = (await api.get(f"{API}/agents/front-desk", headers=h)).json()
    assert got["id"] == agent and got["brand"] == "aurelia" and got["latest_version"] is None
    assert set(got["environments"]) == {"development", "staging", "production"}

    dup = await api.post(f"{API}/agents", json={"slug": "front-desk", "name": "x"}, headers=h)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "slug_taken"
    other_tenant = await create_tenant()
    assert await _agent(api, bearer(other_tenant.owner_key), "front-desk")  # slugs are unique per tenant only

    patched = await api.patch(f"{API}/agents/{agent}", json={"name": "Front desk", "channels": ["sms"]}, headers=h)
    assert patched.status_code == 200 and patched.json()["channels"] == ["sms"]
    listed = (await api.get(f"{API}/agents", params={"brand": "aurelia"}, headers=h)).json()
    assert [a["id"] for a in listed["data"]] == [agent]

    archived = await api.delete(f"{API}/agents/{agent}", headers=h)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert (await api.get(f"{API}/agents", headers=h)).json()["count"] == 0
    assert (await api.get(f"{API}/agents", params={"include_archived": True}, headers=h)).json()["count"] == 1
    blocked = await api.post(f"{API}/agents/{agent}/versions", json={"system_prompt": "x"}, headers=h)
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "agent_archived"
    assert (await api.get(f"{API}/agents/{agent}", headers=h)).status_code == 200  # kept, not deleted
    restored = await api.post(f"{API}/agents/{agent}/restore", headers=h)
    assert restored.json()["status"] == "active"


async def test_versions_are_numbered_immutable_and_diffable(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await _agent(api, h)
    v1 = await _version(api, h, agent, system_prompt="Be brief.\nUse the knowledge base.", temperature=0.2)
    v2 = await _version(
        api,
        h,
        agent,
        system_prompt="Be brief.\nUse the knowledge base.\nNever guess prices.",
        model_policy={"quality_tier": "premium", "allowed_models": ["gpt-4o"], "max_cost_per_conversation_usd": 0.1},
        guardrails={"blocked_topics": ["politics"], "pii_masking": True},
        change_note="no price guessing",
    )
    assert (v1, v2) == (1, 2)
    listed = (await api.get(f"{API}/agents/{agent}/versions", params={"limit": 1}, headers=h)).json()
    assert listed["data"][0]["number"] == 2 and listed["next_cursor"] == "2"
    page2 = (await api.get(f"{API}/agents/{agent}/versions", params={"cursor": "2"}, headers=h)).json()
    assert [v["number"] for v in page2["data"]] == [1]
    one = (await api.get(f"{API}/agents/{agent}/versions/1", headers=h)).json()
    assert one["system_prompt"].startswith("Be brief") and one["model_policy"]["quality_tier"] == "standard"

    for method in ("PUT", "PATCH", "DELETE"):
        edit = await api.request(
            method, f"{API}/agents/{agent}/versions/1", json={"system_prompt": "hacked"}, headers=h
        )
        assert edit.status_code in (404, 405) and "error" in edit.json()
    assert (await api.get(f"{API}/agents/{agent}/versions/1", headers=h)).json()["system_prompt"] == one[
        "system_prompt"
    ]

    diff = (await api.get(f"{API}/agents/{agent}/versions/2/diff", headers=h)).json()
    fields = {c["field"]: c for c in diff["changes"]}
    assert set(fields) == {"system_prompt", "model_policy", "guardrails", "change_note"}
    assert "+Never guess prices." in fields["system_prompt"]["unified_diff"]
    assert (await api.get(f"{API}/agents/{agent}/versions/9", headers=h)).status_code == 404

    bad_policy = await api.post(
        f"{API}/agents/{agent}/versions", json={"model_policy": {"quality_tier": "ultra"}}, headers=h
    )
    assert bad_policy.status_code == 422 and bad_policy.json()["error"]["code"] == "validation_error"
    bad_kb = await api.post(
        f"{API}/agents/{agent}/versions", json={"knowledge_base_ids": [str(uuid.uuid4())]}, headers=h
    )
    assert bad_kb.status_code == 400 and "knowledge bases not found" in bad_kb.json()["error"]["message"]


async def test_promotion_order_and_production_permission(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    developer = bearer(await create_key(tenant, "developer"))
    agent = await _agent(api, h)
    await _version(api, h, agent)

    skip = await _deploy(api, h, agent, 1, "production")
    assert skip.status_code == 409 and skip.json()["error"]["code"] == "promotion_order"
    skip_dev = await _deploy(api, h, agent, 1, "staging")
    assert skip_dev.status_code == 409

    assert (await _deploy(api, developer, agent, 1, "development")).status_code == 200
    promoted = await api.post(
        f"{API}/agents/{agent}/promote", json={"from_environment": "development"}, headers=developer
    )
    assert promoted.status_code == 200 and promoted.json()["environment"] == "staging"
    denied = await _deploy(api, developer, agent, 1, "production")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    denied_promote = await api.post(
        f"{API}/agents/{agent}/promote", json={"from_environment": "staging"}, headers=developer
    )
    assert denied_promote.status_code == 403
    admin = bearer(await create_key(tenant, "admin"))
    live = await _deploy(api, admin, agent, 1, "production", reason="launch")
    assert live.status_code == 200 and live.json()["status"] == "active"
    envs = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()
    assert {e: envs[e]["stable_version_number"] for e in envs} == {"development": 1, "staging": 1, "production": 1}
    history = (await api.get(f"{API}/agents/{agent}/deployments", headers=h)).json()["data"]
    assert [e["environment"] for e in history] == ["production", "staging", "development"]
    assert history[0]["reason"] == "launch" and history[0]["actor_label"].startswith("key")


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "environment": "development", "strategy": "canary"},
        {"version": 1, "environment": "development", "strategy": "gradual", "schedule": [{"percent": 50}]},
        {"version": 99, "environment": "development"},
        {"version": 1, "environment": "moon"},
        {"version": 1, "environment": "development", "thresholds": {"max_error_rate": 2}},
        {"version": "one", "environment": "development"},
    ],
)
async def test_bad_deploy_requests_are_4xx_json(api: httpx.AsyncClient, body: dict) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await _agent(api, h)
    await _version(api, h, agent)
    await _deploy(api, h, agent, 1, "development")
    resp = await api.put(f"{API}/agents/{agent}/deploy", json=body, headers=h)
    assert resp.status_code in (400, 409, 422), resp.text
    assert set(resp.json()["error"]) >= {"code", "message"}


async def _gradual(api: httpx.AsyncClient, h: dict, **extra: object) -> tuple[str, dict]:
    agent = await _agent(api, h)
    await _version(api, h, agent)
    await _version(api, h, agent, system_prompt="v2")
    await _ship(api, h, agent, 1)
    await _ship(api, h, agent, 2, until="staging")
    resp = await _deploy(
        api,
        h,
        agent,
        2,
        "production",
        strategy="gradual",
        schedule=[{"percent": 10, "hold_seconds": 60}, {"percent": 50, "hold_seconds": 60}, {"percent": 100}],
        reason="new prompt",
        **extra,
    )
    assert resp.status_code == 200, resp.text
    deployment = resp.json()
    assert deployment["status"] == "rolling_out" and deployment["percent"] == 10
    return agent, deployment


async def test_gradual_rollout_rolls_back_automatically_on_errors(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent, deployment = await _gradual(api, h)
    started = dt.datetime.fromisoformat(deployment["step_started_at"])
    # v2 fails 30 % of its turns; v1 stays healthy
    _traffic(
        str(tenant.tenant_id),
        agent,
        started + dt.timedelta(seconds=1),
        started + dt.timedelta(seconds=50),
        seed=11,
        error_rate=0.3,
        latency_factor=1.0,
        version=2,
    )
    outcomes = await rollout_controller_tick(now=started + dt.timedelta(seconds=55))
    mine = next(o for o in outcomes if o.deployment_id == deployment["id"])
    assert mine.action == "rollback" and "error rate" in mine.reason, mine
    assert mine.candidate["error_rate"] > 0.2 and mine.stable["error_rate"] < 0.05

    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["status"] == "rolled_back" and prod["percent"] == 0 and prod["stable_version_number"] == 1
    history = (
        await api.get(f"{API}/agents/{agent}/deployments", params={"environment": "production"}, headers=h)
    ).json()
    last = history["data"][0]
    assert last["kind"] == "rollout.rolled_back" and last["details"]["automatic"] is True
    assert last["actor_label"] == "rollout-controller" and last["from_version"] == 2 and last["to_version"] == 1
    kinds = [e["payload"]["kind"] for e in await _agent_events(str(tenant.tenant_id))]
    assert "rollout.started" in kinds and "rollout.rolled_back" in kinds
    # every conversation is back on v1
    for i in range(50):
        version, data = await resolver.resolve_version(tenant.tenant_id, agent, "production", f"conv-{i}")
        assert version == 1 and data.number == 1


async def test_healthy_gradual_rollout_advances_then_completes(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    # Both versions get the same synthetic traffic, but the stable slice is ~240 turns and where
    # the generator puts them depends on the wall clock: about one start time in 400 gives it a
    # handoff rate 5 points under the candidate's. This test is about advancing, so it allows that.
    agent, deployment = await _gradual(api, h, thresholds={"max_handoff_rate_increase": 0.15})
    started = dt.datetime.fromisoformat(deployment["step_started_at"])
    _traffic(str(tenant.tenant_id), agent, started + dt.timedelta(seconds=1), started + dt.timedelta(seconds=50), 12)

    early = await rollout_controller_tick(now=started + dt.timedelta(seconds=30))
    assert next(o for o in early if o.deployment_id == deployment["id"]).action == "hold"
    outcomes = await rollout_controller_tick(now=started + dt.timedelta(seconds=61))
    mine = next(o for o in outcomes if o.deployment_id == deployment["id"])
    assert mine.action == "advance", mine
    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["status"] == "rolling_out" and prod["percent"] == 50 and prod["step_index"] == 1

    step2 = dt.datetime.fromisoformat(prod["step_started_at"])
    _traffic(str(tenant.tenant_id), agent, step2 + dt.timedelta(seconds=1), step2 + dt.timedelta(seconds=50), 13)
    done = await rollout_controller_tick(now=step2 + dt.timedelta(seconds=61))
    assert next(o for o in done if o.deployment_id == deployment["id"]).action == "complete"
    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["status"] == "active" and prod["stable_version_number"] == 2 and prod["percent"] == 100
    kinds = [e["payload"]["kind"] for e in await _agent_events(str(tenant.tenant_id))]
    assert "rollout.advanced" in kinds and "rollout.completed" in kinds


async def test_canary_routing_is_sticky_and_rollback_is_one_call(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await _agent(api, h)
    for prompt in ("v1", "v2", "v3"):
        await _version(api, h, agent, system_prompt=prompt)
    await _ship(api, h, agent, 1)
    await _ship(api, h, agent, 2)
    await _ship(api, h, agent, 3, until="staging")
    canary = await _deploy(api, h, agent, 3, "production", strategy="canary", percent=20)
    assert canary.status_code == 200 and canary.json()["stable_version_number"] == 2

    first = {}
    for i in range(400):
        first[i], data = await resolver.resolve_version(tenant.tenant_id, agent, "production", f"c-{i}")
        assert data.system_prompt == f"v{first[i]}"
    share = sum(v == 3 for v in first.values()) / len(first)
    # The agent id salts the hash, so the share is a fresh binomial draw each run: allow 4.5
    # standard errors (0.2 +- 0.09 at n = 400; a false alarm about once in 150,000 runs).
    assert abs(share - 0.2) < 4.5 * (0.2 * 0.8 / len(first)) ** 0.5, share
    for i in range(400):
        assert (await resolver.resolve_version(tenant.tenant_id, agent, "production", f"c-{i}"))[0] == first[i]

    dropped = await api.post(f"{API}/agents/{agent}/rollback", json={"reason": "odd answers"}, headers=h)
    assert dropped.status_code == 200 and dropped.json()["status"] == "rolled_back"
    assert {
        (await resolver.resolve_version(tenant.tenant_id, agent, "production", f"c-{i}"))[0] for i in range(50)
    } == {2}
    back = await api.post(f"{API}/agents/{agent}/rollback", headers=h)  # default: production
    assert back.status_code == 200 and back.json()["version_number"] == 1 and back.json()["strategy"] == "rollback"
    again = await api.post(f"{API}/agents/{agent}/rollback", headers=h)
    assert again.status_code == 409  # never "back" to the version we just left
    history = (await api.get(f"{API}/agents/{agent}/deployments", headers=h)).json()["data"]
    assert history[0]["kind"] == "deployment.rolled_back" and history[0]["from_version"] == 2
    assert history[1]["kind"] == "rollout.rolled_back" and history[1]["reason"] == "odd answers"


async def test_experiment_results_verdict_and_promotion(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await _agent(api, h)
    await _version(api, h, agent)
    await _version(api, h, agent, system_prompt="v2")
    await _ship(api, h, agent, 1)
    await _ship(api, h, agent, 2, until="staging")
    bad = await api.post(
        f"{API}/agents/{agent}/experiments",
        json={"name": "x", "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 40}]},
        headers=h,
    )
    assert bad.status_code == 400
    resp = await api.post(
        f"{API}/agents/{agent}/experiments",
        json={
            "name": "shorter prompt",
            "environment": "production",
            "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}],
            "primary_metric": "error_rate",
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    experiment = resp.json()
    assert (await _deploy(api, h, agent, 2, "production")).status_code == 409  # the experiment owns production
    counts = {1: 0, 2: 0}
    for i in range(200):
        counts[(await resolver.resolve_version(tenant.tenant_id, agent, "production", f"e-{i}"))[0]] += 1
    assert min(counts.values()) > 60

    started = dt.datetime.fromisoformat(experiment["started_at"]) + dt.timedelta(milliseconds=5)
    await asyncio.sleep(0.2)
    _traffic(str(tenant.tenant_id), agent, started, dt.datetime.now(dt.UTC), 14, error_rate=0.08, version=1)
    results = (await api.get(f"{API}/agents/{agent}/experiments/{experiment['id']}", headers=h)).json()
    assert [v["version"] for v in results["variants"]] == [1, 2]
    assert results["comparisons"][0]["test"] == "two-proportion z-test"
    assert results["comparisons"][0]["significant"] and results["winner_version"] == 2
    assert results["verdict"].startswith("v2 wins on error rate")

    stopped = await api.post(
        f"{API}/agents/{agent}/experiments/{experiment['id']}/stop", json={"promote_winner": True}, headers=h
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["deployment"]["version_number"] == 2
    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["stable_version_number"] == 2
    listed = (await api.get(f"{API}/agents/{agent}/experiments", headers=h)).json()["data"]
    assert listed[0]["status"] == "stopped" and listed[0]["winner_version"] == 2


async def test_templates_clone_and_health(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    catalogue = (await api.get(f"{API}/agent-templates", headers=h)).json()
    assert {t["id"] for t in catalogue["data"]} >= {
        "hotel-concierge",
        "support-faq",
        "sales-lead-qualification",
        "it-helpdesk",
    }
    preview = (
        await api.get(
            f"{API}/agent-templates/preview", params={"template_id": "hotel-concierge", "variant": "resort"}, headers=h
        )
    ).json()
    assert "kids' club" in preview["version"]["system_prompt"]
    created = await api.post(
        f"{API}/agents/from-template",
        json={
            "template_id": "hotel-concierge",
            "slug": "aurelia-paris",
            "brand": "aurelia",
            "variant": "luxury",
            "variables": {"property_name": "Aurelia Paris", "brand_name": "Aurelia Hotels"},
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["agent"]["template"] == "hotel-concierge" and body["version"]["number"] == 1
    assert "Aurelia Paris" in body["version"]["system_prompt"] and "{{" not in body["version"]["system_prompt"]
    assert body["version"]["handoff_rules"]["target_queue"] == "front-desk"
    bad_variant = await api.post(
        f"{API}/agents/from-template",
        json={"template_id": "hotel-concierge", "slug": "x-1", "variant": "castle"},
        headers=h,
    )
    assert bad_variant.status_code == 400

    clone = await api.post(
        f"{API}/agents/aurelia-paris/clone", json={"slug": "northstar-berlin", "brand": "northstar"}, headers=h
    )
    assert clone.status_code == 201, clone.text
    assert clone.json()["agent"]["brand"] == "northstar"
    assert clone.json()["version"]["system_prompt"] == body["version"]["system_prompt"]
    assert clone.json()["version"]["change_note"] == "cloned from aurelia-paris v1"
    other = await create_tenant()
    cross = await api.post(
        f"{API}/agents/aurelia-paris/clone",
        json={"slug": "stolen", "target_tenant_id": str(other.tenant_id)},
        headers=h,
    )
    assert cross.status_code == 403

    sick = (await api.get(f"{API}/agents/aurelia-paris/health", headers=h)).json()
    assert sick["status"] == "unhealthy"
    assert {c["name"]: c["ok"] for c in sick["checks"]}["deployment"] is False
    await _ship(api, h, "aurelia-paris", 1)
    well = (await api.get(f"{API}/agents/aurelia-paris/health", headers=h)).json()
    checks = {c["name"]: c for c in well["checks"]}
    assert well["status"] == "healthy" and well["version"] == 1
    assert checks["version_resolvable"]["ok"] and checks["policy_valid"]["ok"]
    assert checks["knowledge_bases_reachable"]["ok"]
    # the chat runtime registers a real scripted turn (va_app.domain.conversations.probe)
    assert checks["synthetic_conversation"]["ok"] is True, checks["synthetic_conversation"]


async def test_every_mutation_is_audited(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await _agent(api, h)
    await api.patch(f"{API}/agents/{agent}", json={"description": "new"}, headers=h)
    await _version(api, h, agent)
    await _version(api, h, agent, system_prompt="v2")
    await _ship(api, h, agent, 1)
    await _ship(api, h, agent, 2, until="staging")
    await _deploy(api, h, agent, 2, "production", strategy="canary", percent=10)
    await api.post(f"{API}/agents/{agent}/rollback", headers=h)
    experiment = (
        await api.post(
            f"{API}/agents/{agent}/experiments",
            json={"name": "ab", "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}]},
            headers=h,
        )
    ).json()
    await api.post(f"{API}/agents/{agent}/experiments/{experiment['id']}/stop", json={}, headers=h)
    await api.post(f"{API}/agents/{agent}/clone", json={"slug": f"c-{uuid.uuid4().hex[:6]}"}, headers=h)
    await api.delete(f"{API}/agents/{agent}", headers=h)
    await api.post(f"{API}/agents/{agent}/restore", headers=h)
    entries = (await api.get(f"{API}/audit-logs", params={"action": "agent.", "limit": 200}, headers=h)).json()["data"]
    actions = {e["action"] for e in entries}
    assert actions >= {
        "agent.create",
        "agent.update",
        "agent.version.create",
        "agent.deployment.deployed",
        "agent.rollout.started",
        "agent.rollout.rolled_back",
        "agent.experiment.start",
        "agent.experiment.stop",
        "agent.archive",
        "agent.restore",
    }
    update = next(e for e in entries if e["action"] == "agent.update")
    assert update["before"]["description"] == "" and update["after"]["description"] == "new"
