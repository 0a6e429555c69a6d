"""docker-compose.yml runs the production shape, and every piece of it lines up with the code.

There is no Docker engine on these machines, so the file is read as data:
every guard service runs a real `guard` command (parsed by the CLI itself),
its ports, variables and dependencies agree with the settings, and no
secret is written in it (they come from .env, documented by .env.example).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from guard.cli import main
from guard.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY$", re.IGNORECASE)


def resolve(value: object, given: dict[str, str] | None = None) -> str:
    """What compose makes of a value: ${X:-default} → default, ${X:?…} and ${X} → what .env gives."""
    given = given or {}

    def one(match: re.Match) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if name in given:
            return given[name]
        if kind in (":-", "-"):
            return rest
        return f"placeholder-{name.lower().replace('_', '-')}"

    return INTERPOLATION.sub(one, str(value)).replace("$$", "$")


def guard_services() -> dict[str, dict]:
    return {
        name: spec
        for name, spec in SERVICES.items()
        if spec.get("build") or "dispatch-guard" in str(spec.get("image", ""))
    }


def command_of(spec: dict) -> list[str]:
    command = spec.get("command")
    return [resolve(part) for part in (shlex.split(command) if isinstance(command, str) else command)]


def environment_of(spec: dict) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: resolve(value) for key, value in env.items()}


def parse_guard_command(args: list[str]) -> click.Context:
    """Parse `guard ARGS` as the CLI would (unknown commands and options fail); return the leaf context."""
    command: click.Command = main
    ctx = command.make_context("guard", list(args), resilient_parsing=False)
    while isinstance(command, click.Group):
        # Click 8.2+ keeps the subcommand's name in _protected_args (protected_args is deprecated).
        protected = ctx._protected_args if hasattr(ctx, "_protected_args") else ctx.protected_args
        name, sub, rest = command.resolve_command(ctx, [*protected, *ctx.args])
        assert sub is not None, f"guard {' '.join(args)}: no such command"
        command = sub
        ctx = sub.make_context(name, rest, parent=ctx)
    return ctx


def depends(spec: dict) -> dict[str, str]:
    deps = spec.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (cond or {}).get("condition", "service_started") for name, cond in deps.items()}


# --- the shape ------------------------------------------------------------------------------


def test_it_runs_postgres_redis_a_migration_the_api_a_worker_and_beat():
    assert {"postgres", "redis", "migrate", "api", "worker", "beat"} <= set(SERVICES)
    assert set(guard_services()) == {"migrate", "api", "api-2", "worker", "beat"}
    # Without a profile, one API node: the second and its load balancer are the scale example.
    assert {name for name, spec in SERVICES.items() if spec.get("profiles")} == {"api-2", "lb"}


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_the_stores_keep_their_data_on_named_volumes_and_report_health(name):
    spec = SERVICES[name]
    volumes = [volume.split(":")[0] for volume in spec["volumes"]]
    assert volumes and all(volume in (COMPOSE.get("volumes") or {}) for volume in volumes)
    assert spec["healthcheck"]["test"]


def test_the_dockerfile_runs_guard_as_a_non_root_user_from_a_slim_image_without_build_tools():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM\s", text, flags=re.MULTILINE)[1:]
    final = stages[-1]
    assert "slim" in final.splitlines()[0] or "slim" in text.split("FROM")[0]
    user = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert not re.search(r"build-essential|gcc|g\+\+|\bmake\b|-dev\b", final)
    assert re.search(r'^ENTRYPOINT \["guard"\]', final, flags=re.MULTILINE)
    assert (ROOT / ".dockerignore").read_text().splitlines().count(".env") == 1


# --- commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["migrate", "api", "api-2", "worker", "beat"])
def test_every_guard_service_runs_a_real_guard_command(name):
    ctx = parse_guard_command(command_of(SERVICES[name]))
    assert ctx.command.name in {"upgrade", "serve", "worker"}


def test_the_migration_runs_once_before_the_api_and_the_workers():
    assert command_of(SERVICES["migrate"]) == ["db", "upgrade"]
    assert str(SERVICES["migrate"].get("restart", "no")) == "no"
    assert depends(SERVICES["migrate"]).get("postgres") == "service_healthy"
    for name in ("api", "api-2", "worker", "beat"):
        deps = depends(SERVICES[name])
        assert deps.get("migrate") == "service_completed_successfully", name
        assert deps.get("postgres") == "service_healthy" and deps.get("redis") == "service_healthy", name


def test_exactly_one_service_runs_beat_and_it_is_not_scaled():
    beats = [
        name for name, spec in guard_services().items() if parse_guard_command(command_of(spec)).params.get("beat")
    ]
    assert beats == ["beat"]
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_the_api_runs_several_workers_and_publishes_the_port_it_listens_on():
    spec = SERVICES["api"]
    params = parse_guard_command(command_of(spec)).params
    settings = Settings(
        _env_file=None, **{k[6:].lower(): v for k, v in environment_of(spec).items() if k.startswith("GUARD_")}
    )
    workers = params["workers"] or settings.workers
    assert workers > 1
    assert params["host"] == "0.0.0.0"
    published = [resolve(port).rsplit(":", 1)[-1] for port in spec["ports"]]
    assert str(params["port"]) in published
    assert f":{params['port']}/readyz" in " ".join(spec["healthcheck"]["test"])


# --- two API nodes (the scale profile) -----------------------------------------------------


def lb_conf() -> str:
    [config] = SERVICES["lb"]["configs"]
    return resolve(COMPOSE["configs"][config["source"]]["content"])


def test_the_second_api_node_runs_exactly_as_the_first_on_its_own_host_port():
    first, second = SERVICES["api"], SERVICES["api-2"]
    assert command_of(second) == command_of(first)
    assert environment_of(second) == environment_of(first)
    assert second["healthcheck"] == first["healthcheck"]
    host_ports = [resolve(port).split(":")[0] for name in ("api", "api-2", "lb") for port in SERVICES[name]["ports"]]
    assert len(set(host_ports)) == 3


def test_the_load_balancer_spreads_over_both_nodes_and_lets_streams_through():
    from guard.api.stations import KEEPALIVE_S

    conf = lb_conf()
    port = parse_guard_command(command_of(SERVICES["api"])).params["port"]
    assert re.findall(r"^\s*server (\S+?):(\d+)", conf, flags=re.MULTILINE) == [
        ("api", str(port)),
        ("api-2", str(port)),
    ]
    assert "sticky" not in conf and "ip_hash" not in conf and "hash " not in conf  # no sticky sessions needed
    assert re.search(r"proxy_buffering off;", conf)  # a stream's events are not held back
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", conf).group(1))
    assert read_timeout > KEEPALIVE_S
    body_limit = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert body_limit * 1024 * 1024 >= Settings.model_fields["max_body_bytes"].default  # 413 is the guard's to give
    listen = re.search(r"listen (\d+);", conf).group(1)
    assert any(resolve(p).endswith(f":{listen}") for p in SERVICES["lb"]["ports"])
    assert set(depends(SERVICES["lb"])) == {"api", "api-2"}


def test_postgres_has_connections_for_both_api_nodes_and_the_workers():
    # docs/operations.md: each API process keeps up to 2.5 pools, each worker process 1.5.
    api = Settings(
        _env_file=None,
        **{k[6:].lower(): v for k, v in environment_of(SERVICES["api"]).items() if k.startswith("GUARD_")},
    )
    api_processes = 2 * int(environment_of(SERVICES["api"])["GUARD_WORKERS"])
    worker_processes = int(parse_guard_command(command_of(SERVICES["worker"])).params["concurrency"]) + 1  # + beat
    needed = (api_processes * 2.5 + worker_processes * 1.5) * api.db_pool_size
    max_connections = int(re.search(r"max_connections=(\d+)", " ".join(SERVICES["postgres"]["command"])).group(1))
    assert needed <= max_connections, (needed, max_connections)


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_worker_metrics_ports_are_exposed_and_checked(name):
    spec = SERVICES[name]
    port = parse_guard_command(command_of(spec)).params["metrics_port"]
    assert port and str(port) in [str(p) for p in spec.get("expose", [])]
    assert f":{port}/metrics" in " ".join(spec["healthcheck"]["test"])


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["migrate", "api", "api-2", "worker", "beat"])
def test_every_guard_variable_is_a_setting_and_production_accepts_the_whole(name):
    env = environment_of(SERVICES[name])
    fields = {f"GUARD_{field.upper()}" for field in Settings.model_fields}
    unknown = sorted({k for k in env if k.startswith("GUARD_")} - fields)
    assert not unknown, f"{name}: not settings: {unknown}"
    values = {k[6:].lower(): v for k, v in env.items() if k.startswith("GUARD_")}
    settings = Settings(_env_file=None, **values)
    assert settings.env == "production"
    params = parse_guard_command(command_of(SERVICES[name])).params
    assert settings.production_problems(params.get("workers")) == []
    # With a webhook configured in .env, its secret goes along.
    from_env_file = {"GUARD_WEBHOOK_URL": "https://erp.example/h", "GUARD_WEBHOOK_SECRET": "s"}
    raw = SERVICES[name]["environment"]
    with_webhook = Settings(
        _env_file=None, **{**values, **{key[6:].lower(): resolve(raw[key], from_env_file) for key in from_env_file}}
    )
    assert with_webhook.webhook_url and with_webhook.webhook_secret
    assert with_webhook.production_problems(params.get("workers")) == []


def test_the_guard_reaches_postgres_and_redis_by_their_service_names_and_credentials():
    env = environment_of(SERVICES["api"])
    database = re.match(r"postgresql\+psycopg://([^:]+):([^@]+)@([^:/]+):(\d+)/(\w+)", env["GUARD_DATABASE_URL"])
    assert database, env["GUARD_DATABASE_URL"]
    user, password, host, port, db = database.groups()
    pg = environment_of(SERVICES["postgres"])
    assert host == "postgres" and port == "5432"
    assert (user, password, db) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"])
    redis = re.match(r"redis://:([^@]+)@([^:/]+):(\d+)/\d+", env["GUARD_REDIS_URL"])
    assert redis and redis.group(2) == "redis" and redis.group(3) == "6379"
    assert redis.group(1) == environment_of(SERVICES["redis"])["REDIS_PASSWORD"]


# --- secrets --------------------------------------------------------------------------------------


def _raw_values(node: object, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _raw_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _raw_values(value, f"{path}[{index}]")
    else:
        yield path, node


def test_no_secret_is_written_in_the_compose_file():
    for path, value in _raw_values(COMPOSE):
        key = path.rsplit(".", 1)[-1]
        text = str(value)
        if SECRETISH.search(key):
            assert re.fullmatch(r"\$\{[A-Z_]+(:?[-?][^}]*)?\}", text), f"{path} is written in the file: {text!r}"
        # Credentials inside URLs come from .env too.
        for password in re.findall(r"://[^:/@\s]*:([^@\s]+)@", text):
            assert password.startswith("${") and password.endswith("}"), f"{path} holds a password"


def test_every_variable_the_compose_file_needs_is_documented_in_the_example_env():
    needed = set(INTERPOLATION.findall((ROOT / "docker-compose.yml").read_text()))
    documented = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    missing = sorted({name for name, _, _ in needed} - set(documented))
    assert not missing, f"not in .env.example: {missing}"
    # Required ones (${X:?…}) are left empty there, so nobody runs with an example password.
    for name, kind, _ in needed:
        if kind == ":?":
            assert documented[name] == "", f".env.example gives {name} a value"
    for name, value in documented.items():
        if SECRETISH.search(name):
            assert value == "", f".env.example gives the secret {name} a value"


def test_the_real_env_file_is_never_committed_or_copied_into_the_image():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()
