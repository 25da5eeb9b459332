"""Offline checks of deploy/: no container engine or cluster runs here, so every name the
artefacts rely on is checked against the application itself.

* every YAML/JSON file parses; the Helm templates are balanced and parse as YAML once their
  template actions are blanked out (a structural check, not a render);
* every application environment variable is a field of ``core.config.Settings`` (nested
  ``SECTION__FIELD`` included) or a listed non-settings variable;
* every probe/scrape path is a route of ``build_api()``, every port a default of the settings;
* every ``va_*`` metric in dashboards, scrape rules and autoscalers exists in ``core.metrics.REGISTRY``;
* the Dockerfile's Python version and install line agree with ``pyproject.toml``.

``docker compose config`` and ``helm lint`` need binaries that are not installed here; when the
old ``docker-compose`` (v1) happens to be on PATH, the compose file is validated with it too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from core.config import IngestSettings, Settings
from core.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "virtualagent"
VA_SERVICES = ("migrate", "web", "ingest")
# Variables the image or the servers read that are not application settings, with the reader.
NON_SETTINGS = {
    "GRANIAN_WORKERS": "granian (Reflex's production server): worker processes",
    "REFLEX_REDIS_URL": "Reflex: per-tab state in Redis, so replicas are interchangeable",
    "REFLEX_TELEMETRY_ENABLED": "Reflex",
    "REFLEX_CHECK_LATEST_VERSION": "Reflex",
    "REFLEX_DIR": "Reflex",
    "VA_PUBLIC_URL": "rxconfig.py: the URL baked into the frontend",
}
TOOLING_PREFIXES = ("PYTHON", "PIP_", "UV_", "BUN_", "VIRTUAL_ENV", "PATH")


# ---------------------------------------------------------------- helpers
def is_setting(name: str) -> bool:
    fields = Settings.model_fields
    if "__" not in name:
        return name.lower() in fields
    section, field = name.lower().split("__", 1)
    annotation = fields[section].annotation if section in fields else None
    return isinstance(annotation, type) and issubclass(annotation, BaseModel) and field in annotation.model_fields


def assert_app_env(names: set[str], where: str) -> None:
    unknown = sorted(n for n in names if not is_setting(n) and n not in NON_SETTINGS)
    assert not unknown, f"{where}: not settings of core/config.py: {unknown}"


@cache
def api_paths() -> frozenset[str]:
    from va_app.api.app import build_api

    app = build_api()
    return frozenset(app.openapi()["paths"]) | {getattr(r, "path", "") for r in app.routes}


@cache
def metric_series() -> frozenset[str]:
    """Every series name the registry can expose (counter ``_total``, histogram ``_bucket`` ...)."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ("",))
        names |= {family.name + s for s in suffixes}
    return frozenset(names)


def assert_metrics_exist(text: str, where: str) -> set[str]:
    used = set(re.findall(r"\bva_[a-z0-9_]+", text))
    missing = set()
    for name in used:
        # prometheus-adapter renames counters: va_x_total -> va_x_per_second
        candidates = {name, name.removesuffix("_per_second") + "_total"}
        if not candidates & metric_series():
            missing.add(name)
    assert not missing, f"{where}: metrics not in core.metrics.REGISTRY: {sorted(missing)}"
    return used


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def template_files() -> list[Path]:
    return sorted((CHART / "templates").glob("*.yaml"))


def blank_actions(text: str) -> str:
    """Drop whole-line template actions and replace inline ones, leaving plain YAML."""
    text = re.sub(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", "", text, flags=re.S)  # comments
    lines = []
    for line in text.splitlines():
        if re.fullmatch(r"\s*\{\{.*\}\}\s*", line):
            continue
        lines.append(re.sub(r"\{\{.*?\}\}", "placeholder", line))
    return "\n".join(lines)


# ---------------------------------------------------------------- docker compose
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(DEPLOY / "docker-compose.yml")
    assert isinstance(data, dict)
    return data


def test_compose_has_the_scale_out_column(compose: dict[str, Any]) -> None:
    services = compose["services"]
    expected = {"postgres", "redis", "clickhouse", "kafka", "migrate", "web", "ingest", "prometheus", "grafana"}
    assert expected <= set(services)
    assert services["postgres"]["image"].startswith("pgvector/pgvector:")
    assert "KAFKA_PROCESS_ROLES" in services["kafka"]["environment"]  # KRaft, no ZooKeeper
    assert "ZOOKEEPER" not in json.dumps(services)
    assert services["migrate"]["command"] == ["va", "db", "upgrade"]
    assert services["ingest"]["command"] == ["python", "-m", "ingest"]
    assert services["web"]["command"] == ["python", "deploy/serve_web.py"]
    assert (ROOT / services["web"]["command"][1]).exists()
    for name in VA_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / services[name]["build"]["context"] / "pyproject.toml").exists()
    for name in ("web", "ingest"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert "replicas" in services[name]["deploy"]


def test_compose_application_env_matches_settings(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in VA_SERVICES:
        env = services[name]["environment"]
        assert_app_env(set(env), f"compose service {name}")
        for url in ("DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "KAFKA_BOOTSTRAP_SERVERS", "SECRET_KEY"):
            assert url in env, f"{name} must get {url}: the image starts no embedded backend"
        assert env["ENVIRONMENT"] == "production"
        assert not env["CLICKHOUSE_URL"].startswith("chdb://")
    assert services["web"]["environment"]["INGEST__EMBEDDED_WORKER"] == "false"
    assert services["ingest"]["environment"]["INGEST__METRICS_PORT"] == str(IngestSettings().metrics_port)


def test_compose_healthchecks_use_real_routes(compose: dict[str, Any]) -> None:
    web_check = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    path = re.search(r"127\.0\.0\.1:3000(/\w+)", web_check)
    assert path and path.group(1) == "/readyz" and "/readyz" in api_paths()
    assert f":{IngestSettings().metrics_port}/metrics" in " ".join(compose["services"]["ingest"]["healthcheck"]["test"])


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (v1) not installed")
def test_compose_validates_with_docker_compose_v1(tmp_path: Path) -> None:
    # v1 predates the top-level `name:` of the Compose Specification; everything else it checks.
    text = "\n".join(
        line for line in (DEPLOY / "docker-compose.yml").read_text().splitlines() if line != "name: virtualagent"
    )
    copy = DEPLOY / f".compose-check-{tmp_path.name}.yml"
    copy.write_text(text)
    try:
        proc = subprocess.run(
            ["docker-compose", "-f", str(copy), "config", "-q"],
            env={"SECRET_KEY": "x" * 40, "DEMO_OWNER_PASSWORD": "y" * 12, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        copy.unlink()
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------- Prometheus and Grafana
def test_prometheus_scrapes_web_and_ingest() -> None:
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    web, ingest = jobs["va-web"], jobs["va-ingest"]
    assert web["metrics_path"] == "/metrics" and "/metrics" in api_paths()
    assert web["dns_sd_configs"][0]["port"] == Settings().port
    assert ingest["dns_sd_configs"][0]["port"] == IngestSettings().metrics_port


def test_grafana_provisioning_and_dashboard_metrics() -> None:
    datasource = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    uid = datasource["datasources"][0]["uid"]
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "virtualagent.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert all(t["datasource"]["uid"] == uid for p in dashboard["panels"] for t in p.get("targets", []))
    used = assert_metrics_exist("\n".join(exprs), "grafana dashboard")
    # HTTP rate/latency/errors by route, ingest throughput, dead letters, bus lag
    assert {
        "va_http_requests_total",
        "va_http_request_duration_seconds_bucket",
        "va_ingest_events_total",
        "va_ingest_dead_letters_total",
        "va_bus_consumer_lag",
    } <= used
    assert any("by (route" in e and "va_http_requests_total" in e and "5.." in e for e in exprs)


# ---------------------------------------------------------------- Helm chart
def test_chart_metadata_and_values_parse() -> None:
    chart = load_yaml(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2" and chart["name"] == "virtualagent"
    values = load_yaml(CHART / "values.yaml")
    assert values["web"]["port"] == Settings().port
    assert values["ingest"]["metricsPort"] == IngestSettings().metrics_port
    assert_app_env(set(values["config"]), "values.config")
    assert_app_env(set(values["secrets"]) - {"existingSecret"}, "values.secrets")
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL"} <= set(values["secrets"])
    assert values["config"]["ENVIRONMENT"] == "production"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert values["web"][probe]["path"] in api_paths(), probe
    assert values["web"]["readinessProbe"]["path"] == "/readyz"
    assert values["web"]["livenessProbe"]["path"] == "/healthz"
    assert_metrics_exist(yaml.safe_dump(values), "values.yaml")


@pytest.mark.parametrize("path", template_files(), ids=lambda p: p.name)
def test_template_is_balanced_and_parses(path: Path) -> None:
    text = path.read_text()
    assert text.count("{{") == text.count("}}"), "unbalanced {{ }}"
    actions = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", text, flags=re.S)
    opens = sum(1 for a in actions if re.match(r"(if|range|with|define)\b", a))
    ends = sum(1 for a in actions if a == "end")
    assert opens == ends, f"{opens} blocks opened, {ends} closed"
    for doc in yaml.safe_load_all(blank_actions(text)):
        assert doc is None or isinstance(doc, dict)


def test_templates_use_real_settings_metrics_and_routes() -> None:
    kinds: list[str] = []
    for path in template_files():
        text = path.read_text()
        kinds += re.findall(r"^kind: (\w+)", text, flags=re.M)
        env_names = set(re.findall(r"-\s+name:\s+([A-Z][A-Z0-9_]+)\s*$", text, flags=re.M))
        assert_app_env(env_names, path.name)
        assert_metrics_exist(text, path.name)
        for probe_path in re.findall(r"path:\s+(/\w+)", text):
            assert probe_path in api_paths(), f"{path.name}: {probe_path} is not a route"
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert helpers.count("{{") == helpers.count("}}")
    assert sorted(kinds) == sorted(
        [
            "ConfigMap",
            "ConfigMap",  # the migrations hook's own copy
            "Deployment",
            "Deployment",
            "HorizontalPodAutoscaler",
            "HorizontalPodAutoscaler",
            "Job",
            "PodDisruptionBudget",
            "PodDisruptionBudget",
            "Secret",
            "Secret",
            "Service",
            "ServiceAccount",
        ]
    )


def test_autoscalers_and_hooks() -> None:
    web_hpa = (CHART / "templates" / "web-hpa.yaml").read_text()
    assert "type: Resource" in web_hpa and "type: Pods" in web_hpa
    ingest_hpa = (CHART / "templates" / "ingest-hpa.yaml").read_text()
    assert "type: External" in ingest_hpa
    values = load_yaml(CHART / "values.yaml")
    assert values["ingest"]["autoscaling"]["busLag"]["metricName"] == "va_bus_consumer_lag"
    assert values["ingest"]["autoscaling"]["busLag"]["group"] == values["config"]["BUS__CONSUMER_GROUP"]
    job = (CHART / "templates" / "migrations-job.yaml").read_text()
    assert "helm.sh/hook: pre-install,pre-upgrade" in job
    assert 'command: ["va", "db", "upgrade"]' in job
    web = (CHART / "templates" / "web-deployment.yaml").read_text()
    assert "run/draining" in web and "preStop" in web  # matches va_app.domain.status.draining.MARKER_NAME
    assert 'name: INGEST__EMBEDDED_WORKER\n              value: "false"' in web
    adapter = (DEPLOY / "helm" / "prometheus-adapter-values.yaml").read_text()
    load_yaml(DEPLOY / "helm" / "prometheus-adapter-values.yaml")
    assert {"va_http_requests_total", "va_bus_consumer_lag"} <= assert_metrics_exist(adapter, "adapter rules")


def test_drain_marker_name_matches_the_app() -> None:
    from va_app.domain.status import draining

    assert f"run/{draining.MARKER_NAME}" in (CHART / "templates" / "web-deployment.yaml").read_text()


# ---------------------------------------------------------------- Dockerfile and entry point
def test_dockerfile_agrees_with_pyproject() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = re.search(r"^ARG PYTHON_VERSION=(\d+)\.(\d+)$", dockerfile, flags=re.M)
    assert version, "the Python version is pinned by ARG PYTHON_VERSION"
    bounds = re.fullmatch(r">=(\d+)\.(\d+),<(\d+)\.(\d+)", project["requires-python"])
    assert bounds, project["requires-python"]
    lo_major, lo_minor, hi_major, hi_minor = map(int, bounds.groups())
    assert (lo_major, lo_minor) <= tuple(map(int, version.groups())) < (hi_major, hi_minor)
    assert dockerfile.count("FROM python:${PYTHON_VERSION}-") == 2
    assert "uv pip install --no-cache -r pyproject.toml" in dockerfile  # [project] dependencies, no dev extras
    for extra in re.findall(r"\.\[(\w+)\]", dockerfile):
        assert extra in project.get("optional-dependencies", {})
    assert "[dev]" not in dockerfile
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    bun = re.search(r"bun@([\d.]+)", setup)
    assert bun and f"bun@{bun.group(1)}" in dockerfile
    for src in re.findall(r"^COPY (?!--from)(\S+) ", dockerfile, flags=re.M):
        assert (ROOT / src).exists(), f"COPY {src}: missing from the repository"
    env_names = set(re.findall(r"^\s+([A-Z][A-Z0-9_]+)=", dockerfile, flags=re.M))
    env_names |= set(re.findall(r"^ENV ([A-Z][A-Z0-9_]+)=", dockerfile, flags=re.M))
    assert_app_env({n for n in env_names if not n.startswith(TOOLING_PREFIXES)}, "Dockerfile ENV")
    assert 'CMD ["python", "deploy/serve_web.py"]' in dockerfile
    assert "reflex export --frontend-only --no-zip --env prod" in dockerfile
    assert "USER 10001" in dockerfile


def _serve_web() -> Any:
    sys.path.insert(0, str(DEPLOY))
    try:
        import serve_web
    finally:
        sys.path.remove(str(DEPLOY))
    return serve_web


def test_web_entry_refuses_missing_backends_and_pins_chdb_to_one_worker() -> None:
    serve_web = _serve_web()
    assert "DATABASE_URL" in (serve_web.prepare_environment({}) or "")
    env = {"DATABASE_URL": "postgresql://h/db", "REDIS_URL": "redis://r:6379/0", "SECRET_KEY": "s" * 40}
    server = dict(env, CLICKHOUSE_URL="http://ch:8123/")
    assert serve_web.prepare_environment(server) is None
    assert server["REFLEX_REDIS_URL"] == "redis://r:6379/0"
    assert server["GRANIAN_WORKERS"] == "2"
    embedded = dict(env, CLICKHOUSE_URL="chdb:///data/chdb", GRANIAN_WORKERS="4")
    assert serve_web.prepare_environment(embedded) is None
    assert embedded["GRANIAN_WORKERS"] == "1"
    assert_app_env(set(serve_web.REQUIRED), "serve_web.REQUIRED")
