"""Deployment scenario: an operator scales the ERP workers behind one Temporal cluster.

No Docker engine runs where these tests run, so they read docker-compose.yml, deploy/Dockerfile and the
scripts under deploy/ the way `docker compose config` would: the compose file is interpolated with an
empty environment (every `${VAR:-default}` falls back to its default), checked against a JSON Schema of
the part of the compose specification we use, and then against what the application needs. The shell
scripts of the one-shot jobs are run for real against stub `temporal`, `temporal-sql-tool` and `erp`
programs, so the order and arguments of their commands are checked too.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev extra
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
POSTGRES_INIT = ROOT / "deploy" / "postgres-init.sh"
DYNAMIC_CONFIG = ROOT / "deploy" / "temporal-dynamicconfig.yaml"
PYPROJECT = ROOT / "pyproject.toml"

# What the application needs from the cluster.
REQUIRED_SERVICES = {"postgres", "temporal", "temporal-ui", "migrate", "api", "worker"}
APP_SERVICES = ("migrate", "api", "worker")
SEARCH_ATTRIBUTES = {
    "ErpDocumentType": "Keyword",
    "ErpDocumentNumber": "Keyword",
    "ErpEntity": "Keyword",
    "ErpSupplier": "Keyword",
    "ErpChannel": "Keyword",
    "ErpStage": "Keyword",
    "ErpPendingOn": "Keyword",
    "ErpAmount": "Double",
    "ErpDueDate": "Datetime",
}
_FROM_ENV = r"\$\{[A-Z][A-Z0-9_]*:-[^}]*\}"  # a value taken from the environment, with a dev default
ALLOWED_CONDITIONS = ["service_started", "service_healthy", "service_completed_successfully"]

# --------------------------------------------------------------------------------------------------
# The subset of the compose specification this project uses. `additionalProperties: false` on a
# service catches misspelt keys (`depend_on`, `healthckeck`) that compose would reject or ignore.
# --------------------------------------------------------------------------------------------------
_DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_COMMAND = {"oneOf": [{"type": "string"}, {**_STRINGS, "minItems": 1}]}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}

COMPOSE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["services"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "services": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-zA-Z0-9][a-zA-Z0-9._-]*$"},
            "additionalProperties": {"$ref": "#/$defs/service"},
        },
        "volumes": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
        "networks": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
    },
    "$defs": {
        "service": {
            "type": "object",
            "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
            "additionalProperties": False,
            "properties": {
                "image": {"type": "string", "minLength": 1},
                "build": {
                    "oneOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "required": ["context"],
                            "additionalProperties": False,
                            "properties": {
                                "context": {"type": "string"},
                                "dockerfile": {"type": "string"},
                                "target": {"type": "string"},
                                "args": {"type": "object", "additionalProperties": _SCALAR},
                            },
                        },
                    ]
                },
                "command": _COMMAND,
                "entrypoint": _COMMAND,
                "environment": {
                    "oneOf": [
                        {"type": "object", "additionalProperties": _SCALAR},
                        {**_STRINGS, "uniqueItems": True},
                    ]
                },
                "env_file": {"oneOf": [{"type": "string"}, _STRINGS]},
                "depends_on": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["condition"],
                        "additionalProperties": False,
                        "properties": {
                            "condition": {"enum": ALLOWED_CONDITIONS},
                            "restart": {"type": "boolean"},
                            "required": {"type": "boolean"},
                        },
                    },
                },
                "healthcheck": {
                    "type": "object",
                    "required": ["test", "interval", "timeout", "retries"],
                    "additionalProperties": False,
                    "properties": {
                        "test": {
                            "oneOf": [
                                {"type": "string", "minLength": 1},
                                {
                                    "type": "array",
                                    "minItems": 2,
                                    "prefixItems": [{"enum": ["CMD", "CMD-SHELL"]}],
                                    "items": {"type": "string"},
                                },
                            ]
                        },
                        "interval": _DURATION,
                        "timeout": _DURATION,
                        "start_period": _DURATION,
                        "start_interval": _DURATION,
                        "retries": {"type": "integer", "minimum": 1},
                        "disable": {"type": "boolean"},
                    },
                },
                "ports": {
                    "type": "array",
                    "items": {
                        "oneOf": [
                            {"type": "string", "pattern": r"^([^:]+:)?([0-9]+:)?[0-9]+(/(tcp|udp))?$"},
                            {"type": "integer"},
                            {"type": "object", "required": ["target"]},
                        ]
                    },
                },
                "expose": {"type": "array", "items": {"type": ["string", "integer"]}},
                "volumes": {
                    "type": "array",
                    "items": {
                        "oneOf": [
                            {"type": "string", "pattern": r"^[^:]+:/[^:]*(:(ro|rw))?$"},
                            {
                                "type": "object",
                                "required": ["type", "target"],
                                "properties": {
                                    "type": {"enum": ["volume", "bind", "tmpfs"]},
                                    "source": {"type": "string"},
                                    "target": {"type": "string"},
                                    "read_only": {"type": "boolean"},
                                },
                            },
                        ]
                    },
                },
                "deploy": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "replicas": {"type": "integer", "minimum": 0},
                        "resources": {"type": "object"},
                        "restart_policy": {"type": "object"},
                        "update_config": {"type": "object"},
                    },
                },
                "restart": {
                    "type": "string",
                    "pattern": r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$",
                },
                "container_name": {"type": "string"},
                "hostname": {"type": "string"},
                "init": {"type": "boolean"},
                "stop_signal": {"type": "string", "pattern": "^SIG[A-Z0-9]+$"},
                "stop_grace_period": _DURATION,
                "user": {"type": "string"},
                "working_dir": {"type": "string"},
                "labels": {"type": ["object", "array"]},
                "networks": {"type": ["object", "array"]},
                "pull_policy": {"enum": ["always", "never", "missing", "build"]},
                "profiles": _STRINGS,
                "logging": {"type": "object"},
            },
        }
    },
}
COMPOSE_VALIDATOR = jsonschema.Draft202012Validator(COMPOSE_SCHEMA)
jsonschema.Draft202012Validator.check_schema(COMPOSE_SCHEMA)


# --------------------------------------------------------------------------------------------------
# Helpers: interpolation as compose does it, and the validator the negative tests exercise.
# --------------------------------------------------------------------------------------------------
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Resolve `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$` in every string, like compose."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("name") or match.group("bare")
        current, op, arg = env.get(name), match.group("op"), match.group("arg") or ""
        if op == ":-":
            return current or arg
        if op == "-":
            return arg if current is None else current
        if op in (":?", "?") and not current:
            raise ValueError(f"variable {name} is required: {arg}")
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def variables_without_default(text: str) -> set[str]:
    """`${VAR}` references with no default: compose warns and substitutes an empty string."""
    found = set()
    for match in _INTERPOLATION.finditer(text):
        if match.group("escaped"):
            continue
        if match.group("bare") or match.group("op") not in (":-", "-"):
            found.add(match.group("name") or match.group("bare"))
    return found


def is_one_shot(service: dict[str, Any]) -> bool:
    """A job that runs to completion: marked `restart: "no"` (long-running services restart)."""
    return service.get("restart") == "no"


def compose_problems(doc: Any) -> list[str]:
    """Everything wrong with a compose document: schema violations, then dependency-graph errors."""
    problems = [
        f"schema: {'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(COMPOSE_VALIDATOR.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return problems or ["no services"]
    graph: dict[str, list[str]] = {}
    for name, service in services.items():
        deps = service.get("depends_on", {}) if isinstance(service, dict) else {}
        if not isinstance(deps, dict):
            problems.append(f"{name}: depends_on must use the long form with a condition")
            continue
        graph[name] = [target for target in deps if target in services]
        for target, spec in deps.items():
            condition = spec.get("condition") if isinstance(spec, dict) else None
            if target == name:
                problems.append(f"{name} depends on itself")
            elif target not in services:
                problems.append(f"{name} depends on {target!r}, which is not a service in this file")
            elif condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name} waits for {target} to be healthy, but {target} has no healthcheck")
            elif condition == "service_completed_successfully" and not is_one_shot(services[target]):
                problems.append(f"{name} waits for {target} to complete, but {target} is not a one-shot job")
    problems += [f"dependency cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return problems


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in graph.get(node, []):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])
    return found


def ancestors(services: dict[str, Any], name: str) -> set[str]:
    """Every service that must be up (or done) before `name` starts."""
    seen: set[str] = set()
    todo = list(services[name].get("depends_on", {}))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo += list(services[dep].get("depends_on", {}))
    return seen


def env_of(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of the two compose forms it uses."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def duration_seconds(text: str) -> float:
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ns|us|ms|s|m|h)", text))


def image_tag(image: str) -> tuple[str, str]:
    repository, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    return repository, tag


def run_job_script(service: dict[str, Any], stubs: dict[str, str], tmp_path: Path, **env: str) -> list[str]:
    """Run a job's shell script with stub programs on PATH; returns the stub calls, one per line."""
    if shutil.which("sh") is None:
        pytest.skip("no POSIX shell on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    log.write_text("")
    for program, body in stubs.items():
        stub = bin_dir / program
        stub.write_text(f'#!/bin/sh\necho "{program} $*" >> "$CALL_LOG"\n{body}\n')
        stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    entrypoint = service.get("entrypoint", [])
    command = service["command"]
    argv = [*entrypoint, *command] if isinstance(command, list) else [*entrypoint, command]
    if argv[0] in ("sh", "/bin/sh"):
        argv[0] = shutil.which("sh") or "sh"
    full_env = {
        **env_of(service),
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CALL_LOG": str(log),
    }
    result = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"job script failed:\n{result.stdout}\n{result.stderr}"
    return log.read_text().splitlines()


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    """docker-compose.yml as written (anchors and merge keys resolved, variables not yet)."""
    assert COMPOSE_FILE.is_file(), "docker-compose.yml is missing from the repository root"
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(doc, dict), "docker-compose.yml must be a YAML mapping"
    return doc


@pytest.fixture(scope="module")
def compose(raw_compose: dict[str, Any]) -> dict[str, Any]:
    """docker-compose.yml as `docker compose config` sees it on a fresh checkout (no .env file)."""
    resolved: dict[str, Any] = interpolate(raw_compose, env={})
    return resolved


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    declared: dict[str, Any] = compose["services"]
    return declared


# --------------------------------------------------------------------------------------------------
# The file itself
# --------------------------------------------------------------------------------------------------
def test_the_compose_file_is_valid_yaml_within_the_compose_subset_we_use(compose: dict[str, Any]) -> None:
    assert compose_problems(compose) == []


def test_a_fresh_checkout_starts_without_an_env_file() -> None:
    """Every variable has a development default, so `docker compose up` needs no preparation."""
    assert variables_without_default(COMPOSE_FILE.read_text()) == set()


def test_the_stack_has_every_service_the_erp_needs(services: dict[str, Any]) -> None:
    assert set(services) >= REQUIRED_SERVICES, f"missing: {sorted(REQUIRED_SERVICES - set(services))}"


def test_every_long_running_service_reports_its_health(services: dict[str, Any]) -> None:
    long_running = [name for name, service in services.items() if not is_one_shot(service)]
    assert set(long_running) >= {"postgres", "temporal", "temporal-ui", "api", "worker"}
    for name in long_running:
        check = services[name].get("healthcheck")
        assert check, f"{name} runs for good but has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
        assert {"test", "interval", "timeout", "retries"} <= set(check), f"{name}: incomplete healthcheck"


def test_services_start_only_once_what_they_need_is_ready(services: dict[str, Any]) -> None:
    def condition(name: str, dep: str) -> str:
        return str(services[name]["depends_on"][dep]["condition"])

    assert "postgres" in ancestors(services, "temporal")
    assert "temporal" in ancestors(services, "temporal-ui")
    assert {"postgres", "temporal"} <= ancestors(services, "migrate")
    for app in ("api", "worker"):
        assert condition(app, "migrate") == "service_completed_successfully", f"{app} must wait for migrate"
        assert condition(app, "postgres") == "service_healthy"
        assert condition(app, "temporal") == "service_healthy"
    assert is_one_shot(services["migrate"])


# --------------------------------------------------------------------------------------------------
# The scenario: one Temporal cluster, several workers
# --------------------------------------------------------------------------------------------------
def test_an_operator_scales_the_workers_behind_one_temporal_cluster(services: dict[str, Any]) -> None:
    """Given the stack as shipped, when the operator runs it (or `--scale worker=N`), then every
    worker replica polls the same task queue on the same single Temporal frontend, and nothing
    in the worker definition pins it to one container."""
    worker = services["worker"]
    assert worker.get("deploy", {}).get("replicas", 1) >= 2, "the shipped stack should show several workers"
    assert "container_name" not in worker, "a fixed container_name allows only one replica"
    assert "hostname" not in worker, "a fixed hostname makes replicas indistinguishable"
    assert not worker.get("ports"), "published host ports clash as soon as there are two replicas"

    temporal_servers = [
        name for name, s in services.items() if s.get("image", "").startswith("temporalio/server")
    ]
    assert temporal_servers == ["temporal"], "exactly one Temporal server service"
    for app in ("api", "worker"):
        assert env_of(services[app])["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env_of(services["api"])["ERP_TASK_QUEUE"] == env_of(worker)["ERP_TASK_QUEUE"], (
        "the API starts workflows on the queue the workers poll"
    )

    # Replicas are stopped with SIGTERM and given time to finish the activities they hold.
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert duration_seconds(worker.get("stop_grace_period", "10s")) >= 30
    assert "9000" in json.dumps(worker["healthcheck"]["test"]), "worker health comes from its metrics port"
    assert "/metrics" in json.dumps(worker["healthcheck"]["test"])


def test_api_and_worker_reach_postgres_and_temporal_by_service_name(services: dict[str, Any]) -> None:
    configurations = {app: env_of(services[app]) for app in APP_SERVICES}
    for app, env in configurations.items():
        url = urlsplit(env["DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg", f"{app}: SQLAlchemy URL with the psycopg driver"
        assert url.hostname == "postgres" and url.hostname in services, f"{app}: DATABASE_URL host"
        assert url.port == 5432
        assert url.path.lstrip("/") == env_of(services["postgres"])["ERP_DB_NAME"]
        host, _, port = env["TEMPORAL_ADDRESS"].partition(":")
        assert host in services and port == "7233", f"{app}: TEMPORAL_ADDRESS must name the temporal service"
        assert env["ERP_LOG_JSON"] == "1"
    shared = ("DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "ERP_TASK_QUEUE")
    assert len({tuple(env[k] for k in shared) for env in configurations.values()}) == 1, (
        "migrate, api and worker must share one configuration"
    )
    assert "8000" in json.dumps(services["api"]["healthcheck"]["test"])
    assert "/health" in json.dumps(services["api"]["healthcheck"]["test"])
    # The API is published once, through the gateway that balances over its replicas.
    gateway = services["api-gateway"]
    assert any(str(p).endswith(":8000") for p in gateway.get("ports", [])), "the API is published"
    assert not services["api"].get("ports"), "published host ports clash as soon as there are two replicas"
    assert services["api"].get("deploy", {}).get("replicas", 1) >= 2, "the shipped stack runs API replicas"
    assert gateway["depends_on"]["api"]["condition"] == "service_healthy"
    conf = (ROOT / "deploy" / "nginx-api.conf").read_text()
    assert "http://api:8000" in conf and "/etc/nginx/conf.d/" in json.dumps(gateway["volumes"])


def test_temporal_keeps_its_state_in_postgres_apart_from_the_erp_data(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    temporal = env_of(services["temporal"])
    assert temporal["DB"] == "postgres12"
    assert temporal["POSTGRES_SEEDS"] == "postgres"
    databases = {temporal.get("DBNAME", "temporal"), temporal.get("VISIBILITY_DBNAME", "temporal_visibility")}
    erp_db = env_of(services["postgres"])["ERP_DB_NAME"]
    assert len(databases) == 2 and erp_db not in databases, "persistence, visibility and ERP: three databases"

    # The schema job prepares exactly the databases the server uses, and the init script creates them.
    schema_job = command_text(services["temporal-schema"])
    assert set(re.findall(r"--db\s+(\S+)", schema_job)) == databases
    init_sql = POSTGRES_INIT.read_text()
    created = set(re.findall(r"CREATE DATABASE\s+(\w+)", init_sql))
    assert databases <= created and 'CREATE DATABASE :"erp_db"' in init_sql
    mounts = services["postgres"]["volumes"]
    assert any(m.startswith("./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/") for m in mounts)

    # PostgreSQL data survives `docker compose down` in a named volume.
    data = [m for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert data and data[0].split(":")[0] in (compose.get("volumes") or {}), "postgres data in a named volume"


def test_temporal_images_are_pinned_to_one_server_release(services: dict[str, Any]) -> None:
    repository, server_tag = image_tag(services["temporal"]["image"])
    assert repository == "temporalio/server"
    assert re.fullmatch(r"1\.(2\d|3\d)\.\d+", server_tag), f"Temporal server 1.2x/1.3x, got {server_tag!r}"
    for job in ("temporal-schema", "temporal-namespace"):
        assert services[job]["image"] == f"temporalio/admin-tools:{server_tag}", (
            f"{job}: the schema tools must match the server release"
        )
    for name, service in services.items():
        _, tag = image_tag(service["image"])
        assert tag and tag != "latest", f"{name}: image {service['image']!r} is not pinned"
        if "build" not in service:
            assert re.search(r"\d", tag), f"{name}: {service['image']!r} should name a version"


def test_no_secret_is_written_into_the_file(raw_compose: dict[str, Any]) -> None:
    """Credentials come from the environment (or .env); the file only carries dev defaults."""
    for name, service in raw_compose["services"].items():
        for key, value in env_of(service).items():
            if re.search(r"PASSWORD|PWD|SECRET|TOKEN", key):
                assert re.fullmatch(_FROM_ENV, value), f"{name}.{key} is hard-coded"
        if "DATABASE_URL" in env_of(service):
            url = re.fullmatch(
                r"[\w+]+://(\$\{[^}]*\}|[^:@]*):(?P<password>\$\{[^}]*\}|[^@]*)@.+",
                env_of(service)["DATABASE_URL"],
            )
            assert url, f"{name}: DATABASE_URL has no user:password@host part"
            assert re.fullmatch(_FROM_ENV, url.group("password")), (
                f"{name}: DATABASE_URL password is hard-coded"
            )


def test_all_nine_search_attributes_are_registered_on_the_namespace(services: dict[str, Any]) -> None:
    job = services["temporal-namespace"]
    declared = dict(item.split("=", 1) for item in env_of(job)["ERP_SEARCH_ATTRIBUTES"].split())
    assert declared == SEARCH_ATTRIBUTES
    assert env_of(job)["TEMPORAL_NAMESPACE"] == env_of(services["worker"])["TEMPORAL_NAMESPACE"]
    assert job["depends_on"]["temporal"]["condition"] == "service_healthy"

    # The application registers the same attributes itself, once its schema is in place.
    migrate = command_text(services["migrate"])
    assert "erp migrate" in migrate and "erp temporal-setup" in migrate
    assert migrate.index("erp migrate") < migrate.index("erp temporal-setup")


def test_the_search_attributes_match_the_application_code(services: dict[str, Any]) -> None:
    """The compose list and the keys the workflows upsert must not drift apart."""
    search_attributes = pytest.importorskip("workflows.search_attributes")
    in_code = {
        key.name: search_attributes.CLI_TYPE[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        for key in search_attributes.ALL
    }
    assert in_code == SEARCH_ATTRIBUTES


# --------------------------------------------------------------------------------------------------
# The one-shot jobs, run against stub programs
# --------------------------------------------------------------------------------------------------
def test_the_namespace_job_creates_the_namespace_and_each_attribute(
    services: dict[str, Any], tmp_path: Path
) -> None:
    describe_fails = 'case "$*" in *"namespace describe"*) exit 1 ;; esac'
    calls = run_job_script(services["temporal-namespace"], {"temporal": describe_fails}, tmp_path)
    assert all("--address temporal:7233" in call for call in calls)
    assert any("namespace create --namespace default" in call for call in calls)
    created = {
        m.group(1): m.group(2)
        for call in calls
        if (m := re.search(r"search-attribute create --namespace default --name (\S+) --type (\S+)", call))
    }
    assert created == SEARCH_ATTRIBUTES


def test_the_namespace_job_is_safe_to_rerun(services: dict[str, Any], tmp_path: Path) -> None:
    calls = run_job_script(services["temporal-namespace"], {"temporal": "exit 0"}, tmp_path)
    assert not any("namespace create" in call for call in calls), "an existing namespace is left alone"


def test_the_schema_job_only_runs_idempotent_steps(services: dict[str, Any], tmp_path: Path) -> None:
    calls = run_job_script(services["temporal-schema"], {"temporal-sql-tool": "exit 0"}, tmp_path)
    assert len(calls) == 4
    assert not any(re.search(r"\b(create|create-database|drop)\b", call) for call in calls), (
        "databases come from the init script; creating them here fails on every restart"
    )
    steps: dict[str, list[str]] = {}
    for call in calls:
        db, step = re.search(r"--db (\S+) (\S+)", call).groups()  # type: ignore[union-attr]
        steps.setdefault(db, []).append(step)
    assert steps == {db: ["setup-schema", "update-schema"] for db in ("temporal", "temporal_visibility")}


@pytest.mark.parametrize(
    ("seed", "expected"), [("0", ["migrate", "temporal-setup"]), ("1", ["migrate", "temporal-setup", "seed"])]
)
def test_the_migrate_job_migrates_then_registers_and_seeds_only_on_request(
    services: dict[str, Any], tmp_path: Path, seed: str, expected: list[str]
) -> None:
    calls = run_job_script(services["migrate"], {"erp": "exit 0"}, tmp_path, ERP_SEED_DEMO=seed)
    assert [call.removeprefix("erp ") for call in calls] == expected


def test_a_failed_migration_stops_the_job(services: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="job script failed"):
        run_job_script(services["migrate"], {"erp": '[ "$1" = migrate ] && exit 3; exit 0'}, tmp_path)


# --------------------------------------------------------------------------------------------------
# The image and the files it is built from
# --------------------------------------------------------------------------------------------------
def test_the_image_installs_the_project_and_runs_as_a_non_root_user(services: dict[str, Any]) -> None:
    assert DOCKERFILE.is_file()
    text = DOCKERFILE.read_text()
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, flags=re.MULTILINE))
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], b)
        for b in re.findall(r"^FROM\s+(\S+)", text, re.M)
    ]
    assert bases and all(base == "python:3.11-slim" for base in bases), bases
    assert re.search(r"^RUN .*\bpip install \.(\s|$)", text, flags=re.MULTILINE), (
        "the image must `pip install .`"
    )

    user = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0"), "the final image runs as a non-root user"
    cmd = re.findall(r"^CMD\s+(.+)$", text, flags=re.MULTILINE)
    assert cmd and json.loads(cmd[-1])[:2] == ["erp", "api"]

    # Every package pyproject.toml installs is copied into the build.
    setuptools_cfg = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]
    patterns = setuptools_cfg["packages"]["find"]["include"]
    packages = {
        p.name for p in ROOT.iterdir() if p.is_dir() and any(fnmatch.fnmatch(p.name, pat) for pat in patterns)
    }
    copied = set(re.findall(r"^COPY\s+(\w+)/\s", text, flags=re.MULTILINE))
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    if setuptools_cfg.get("py-modules"):
        assert re.search(r"^COPY\s.*\*\.py\b", text, flags=re.MULTILINE), "top-level modules are not copied"

    # migrate, api and worker are the same image, built from this Dockerfile.
    for app in APP_SERVICES:
        assert services[app]["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert len({services[app]["image"] for app in APP_SERVICES}) == 1


def test_the_installed_package_carries_the_files_migrations_read() -> None:
    """`pip install .` copies only .py files unless package-data says otherwise; the image has no
    source tree, so a migration that reads a .sql file next to it fails there and nowhere else."""
    setuptools_cfg = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]
    package_data: dict[str, list[str]] = setuptools_cfg.get("package-data", {})
    missing = []
    for path in sorted((ROOT / "migrations").rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(ROOT / "migrations").as_posix()
        globs = package_data.get("migrations", []) + package_data.get("*", [])
        if not any(fnmatch.fnmatch(relative, glob) for glob in globs):
            missing.append(relative)
    assert not missing, (
        f"not installed by `pip install .`: {missing}; add to pyproject.toml: "
        '[tool.setuptools.package-data] migrations = ["*.sql", "*.mako"]'
    )


def test_the_temporal_dynamic_config_is_mounted_and_well_formed(services: dict[str, Any]) -> None:
    temporal = services["temporal"]
    target = env_of(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    assert f"./deploy/temporal-dynamicconfig.yaml:{target}:ro" in temporal["volumes"]
    config = yaml.safe_load(DYNAMIC_CONFIG.read_text())
    assert isinstance(config, dict) and config
    for key, values in config.items():
        assert isinstance(values, list) and all("value" in v for v in values), key
    assert "system.forceSearchAttributesCacheRefreshOnRead" not in config, "development-only setting"


# --------------------------------------------------------------------------------------------------
# The validator itself must be able to fail
# --------------------------------------------------------------------------------------------------
def _break_target(doc: dict[str, Any]) -> None:
    doc["services"]["worker"]["depends_on"]["temporall"] = {"condition": "service_healthy"}


def _break_condition(doc: dict[str, Any]) -> None:
    doc["services"]["worker"]["depends_on"]["temporal"]["condition"] = "service_ready"


def _short_form(doc: dict[str, Any]) -> None:
    doc["services"]["worker"]["depends_on"] = ["postgres", "temporal"]


def _wait_for_health_of_a_job(doc: dict[str, Any]) -> None:
    doc["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_healthy"


def _wait_for_completion_of_a_server(doc: dict[str, Any]) -> None:
    doc["services"]["api"]["depends_on"]["temporal"]["condition"] = "service_completed_successfully"


def _cycle(doc: dict[str, Any]) -> None:
    doc["services"]["postgres"]["depends_on"] = {"worker": {"condition": "service_started"}}


def _typo(doc: dict[str, Any]) -> None:
    doc["services"]["worker"]["depend_on"] = doc["services"]["worker"].pop("depends_on")


def _incomplete_healthcheck(doc: dict[str, Any]) -> None:
    del doc["services"]["api"]["healthcheck"]["retries"]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_break_target, "'temporall', which is not a service"),
        (_break_condition, "'service_ready' is not one of"),
        (_short_form, "is not of type 'object'"),
        (_wait_for_health_of_a_job, "migrate has no healthcheck"),
        (_wait_for_completion_of_a_server, "temporal is not a one-shot job"),
        (_cycle, "dependency cycle"),
        (_typo, "'depend_on' was unexpected"),
        (_incomplete_healthcheck, "'retries' is a required property"),
    ],
)
def test_the_validator_catches_a_broken_compose_file(
    compose: dict[str, Any], breakage: Any, expected: str
) -> None:
    broken = copy.deepcopy(compose)
    breakage(broken)
    problems = compose_problems(broken)
    assert any(expected in problem for problem in problems), problems
    assert compose_problems(compose) == [], "the original document must stay untouched"
