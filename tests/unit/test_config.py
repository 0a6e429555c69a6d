"""One validated settings object; GUARD_ENV=production refuses unsafe settings, loudly and clearly.

`guard config check` prints the effective configuration with secrets masked and
exits non-zero on an unsafe production setting; `guard serve` and `guard worker`
refuse to start on one (before touching the database or the broker).
"""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from guard.cli import main
from guard.config import Settings
from guard.logs import JsonFormatter, TextFormatter, annotate, bind, logging_config, unbind

PG = "postgresql+psycopg://guard:pg-Secret-1@db:5432/guard"
REDIS = "redis://:redis-Secret-2@redis:6379/0"


def settings(**values) -> Settings:
    # _env_file=None: a developer's .env must not change what these tests see.
    return Settings(_env_file=None, **values)


def test_the_embedded_default_is_safe_in_development_and_production():
    assert settings().production_problems() == []
    assert settings(env="production").production_problems() == []


def test_sqlite_with_several_workers_is_refused_with_the_variable_to_change():
    problems = settings(env="production", redis_url=REDIS).production_problems(workers=4)
    assert len(problems) == 1
    assert "SQLite" in problems[0] and "GUARD_DATABASE_URL" in problems[0]


def test_the_workers_setting_counts_when_no_worker_count_is_given():
    assert settings(workers=3, redis_url=REDIS).production_problems() != []
    assert settings(workers=3, redis_url=REDIS, database_url=PG).production_problems() == []


def test_production_on_postgresql_serves_with_one_worker_per_core_unless_told_otherwise(monkeypatch):
    monkeypatch.setattr("guard.config.os.cpu_count", lambda: 6)
    assert settings(env="production", database_url=PG, redis_url=REDIS).api_workers == 6
    assert settings(env="production", database_url=PG, redis_url=REDIS, workers=2).api_workers == 2
    # SQLite takes one writer process; without Redis the jobs run embedded, in one process;
    # and development stays simple.
    assert settings(env="production", redis_url=REDIS).api_workers == 1
    assert settings(env="production", database_url=PG).api_workers == 1
    assert settings(env="production", database_url=PG).production_problems() == []
    assert settings(database_url=PG, redis_url=REDIS).api_workers == 1


def test_a_webhook_url_without_a_secret_is_refused():
    problems = settings(webhook_url="https://erp.example/hooks").production_problems()
    assert len(problems) == 1 and "GUARD_WEBHOOK_SECRET" in problems[0]
    assert settings(webhook_url="https://erp.example/hooks", webhook_secret="s1").production_problems() == []
    # A secret of only commas and blanks is no secret.
    assert settings(webhook_url="https://erp.example/hooks", webhook_secret=" , ").production_problems() != []


def test_embedded_jobs_in_several_api_processes_are_refused_until_redis_takes_the_jobs():
    problems = settings(database_url=PG).production_problems(workers=2)
    assert len(problems) == 1 and "embedded jobs" in problems[0] and "GUARD_REDIS_URL" in problems[0]
    assert settings(database_url=PG, redis_url=REDIS).production_problems(workers=2) == []


def test_switching_embedded_jobs_off_without_redis_is_refused():
    problems = settings(embedded_jobs=False).production_problems()
    assert len(problems) == 1 and "GUARD_EMBEDDED_JOBS" in problems[0]


def test_every_problem_is_listed_at_once():
    problems = settings(webhook_url="https://erp.example/hooks").production_problems(workers=2)
    assert len(problems) == 3


def test_settings_are_read_from_guard_variables(monkeypatch):
    monkeypatch.setenv("GUARD_WORKERS", "4")
    monkeypatch.setenv("GUARD_LOG_FORMAT", "json")
    monkeypatch.setenv("GUARD_DATABASE_URL", "postgresql://guard@db/guard")
    loaded = Settings(_env_file=None)
    assert loaded.workers == 4 and loaded.logs_as_json
    assert loaded.database_url == "postgresql+psycopg://guard@db/guard"  # the driver we ship


@pytest.mark.parametrize(
    "values",
    [
        {"workers": 0},
        {"workers": 65},
        {"log_format": "xml"},
        {"env": "staging"},
        {"database_url": "mysql://db/guard"},
        {"clearance_ttl_s": 0},
        {"key_cache_s": 6},
        {"celery_queue": "two words"},
    ],
    ids=lambda v: next(iter(v)),
)
def test_bad_values_are_refused_when_the_settings_are_made(values):
    with pytest.raises(ValidationError):
        settings(**values)


def test_logs_are_json_in_production_and_text_in_development_unless_told():
    assert settings(env="production").logs_as_json
    assert not settings().logs_as_json
    assert settings(log_format="json").logs_as_json
    assert not settings(env="production", log_format="text").logs_as_json


# --- the commands -----------------------------------------------------------------------


@pytest.fixture
def run(tmp_path, monkeypatch):
    """`guard …` in-process, in an empty directory (no .env), with only the given GUARD_* set."""
    import os

    for name in list(os.environ):
        if name.startswith("GUARD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, **env: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def test_config_check_prints_the_configuration_with_secrets_masked(run):
    result = run(
        "config",
        "check",
        GUARD_DATABASE_URL=PG,
        GUARD_REDIS_URL=REDIS,
        GUARD_WEBHOOK_URL="https://erp.example/hooks?token=tok-Secret-3",
        GUARD_WEBHOOK_SECRET="whsec-Secret-4,whsec-Secret-5",
    )
    assert result.exit_code == 0, result.output
    for name in (
        "GUARD_ENV",
        "GUARD_DATABASE_URL",
        "GUARD_REDIS_URL",
        "GUARD_WEBHOOK_URL",
        "GUARD_WEBHOOK_SECRET",
        "GUARD_CLEARANCE_TTL_S",
        "GUARD_WORKERS",
        "GUARD_LOG_FORMAT",
    ):
        assert name in result.output
    for secret in ("pg-Secret-1", "redis-Secret-2", "tok-Secret-3", "whsec-Secret-4", "whsec-Secret-5"):
        assert secret not in result.output
    assert "db:5432/guard" in result.output and "erp.example/hooks" in result.output  # the rest stays readable
    assert "2 keys" in result.output
    assert "production checks: ok" in result.output


def test_config_check_fails_on_an_unsafe_production_setting_and_says_why(run):
    result = run(
        "config", "check", "--workers", "2", GUARD_ENV="production", GUARD_WEBHOOK_URL="https://erp.example/hooks"
    )
    assert result.exit_code != 0
    assert "GUARD_WEBHOOK_SECRET" in result.output and "SQLite" in result.output


def test_config_check_only_warns_in_development(run):
    result = run("config", "check", GUARD_WEBHOOK_URL="https://erp.example/hooks")
    assert result.exit_code == 0
    assert "would be refused with GUARD_ENV=production" in result.output
    assert "GUARD_WEBHOOK_SECRET" in result.output


def test_config_check_says_which_font_prints_chinese_on_labels_or_that_none_does(run, monkeypatch):
    from guard import labels

    font = labels.cjk_font()
    expected = f"labels: Chinese printed with {font}" if font else "no CJK TrueType font found"
    assert expected in run("config", "check").output
    monkeypatch.setattr(labels, "CJK_FONTS", ())
    labels.cjk_font.cache_clear()
    try:
        missing = run("config", "check")
    finally:
        labels.cjk_font.cache_clear()
    assert missing.exit_code == 0
    assert "no CJK TrueType font found" in missing.output and "fonts-wqy-zenhei" in missing.output


def test_config_check_refuses_a_malformed_value(run):
    result = run("config", "check", GUARD_WORKERS="many")
    assert result.exit_code != 0 and "GUARD_WORKERS" in result.output.upper()


def test_serve_refuses_to_start_in_production_with_an_unsafe_setting(run, tmp_path):
    result = run("serve", "--workers", "2", GUARD_ENV="production", GUARD_DATABASE_URL=PG)
    assert result.exit_code != 0
    assert "refusing to start" in result.output and "embedded jobs" in result.output


def test_serve_refuses_sqlite_with_several_workers_in_production_before_touching_the_database(run, tmp_path):
    result = run("serve", GUARD_ENV="production", GUARD_WORKERS="3", GUARD_REDIS_URL=REDIS)
    assert result.exit_code != 0 and "SQLite" in result.output
    assert not (tmp_path / "guard.db").exists()


def test_worker_refuses_to_start_in_production_without_a_webhook_secret(run):
    result = run(
        "worker",
        GUARD_ENV="production",
        GUARD_DATABASE_URL=PG,
        GUARD_REDIS_URL=REDIS,
        GUARD_WEBHOOK_URL="https://erp.example/hooks",
    )
    assert result.exit_code != 0 and "GUARD_WEBHOOK_SECRET" in result.output


# --- log lines ----------------------------------------------------------------------------


def _record(**extra) -> logging.LogRecord:
    record = logging.LogRecord(
        "guard.request", logging.INFO, __file__, 1, "POST %s %d", ("/v1/orders/{order_id}/check", 200), None
    )
    record.__dict__.update(extra)
    return record


def test_a_json_log_line_is_one_object_with_the_request_fields():
    line = JsonFormatter().format(_record(request_id="r1", order_id="o1", verdict="hold", duration_ms=3.2))
    assert "\n" not in line
    data = json.loads(line)
    assert data["msg"] == "POST /v1/orders/{order_id}/check 200"
    assert data["level"] == "info" and data["logger"] == "guard.request"
    assert (data["request_id"], data["order_id"], data["verdict"], data["duration_ms"]) == ("r1", "o1", "hold", 3.2)
    assert data["ts"].endswith("Z")


def test_a_text_log_line_reads_as_a_sentence_with_its_fields():
    line = TextFormatter().format(_record(request_id="r1", order_id="o1", verdict="hold"))
    assert "POST /v1/orders/{order_id}/check 200" in line
    assert "request_id=r1" in line and "order_id=o1" in line and "verdict=hold" in line


def test_annotations_reach_the_context_of_the_request_only():
    annotate(verdict="clear")  # outside a request: nothing to add to, no error
    token = bind(request_id="r2")
    try:
        annotate(verdict="block", order_id=None)
        from guard.logs import context_fields

        assert context_fields() == {"request_id": "r2", "verdict": "block"}
    finally:
        unbind(token)


def test_the_logging_config_follows_the_format_setting():
    assert logging_config(settings(env="production"))["formatters"]["guard"]["()"].endswith("JsonFormatter")
    assert logging_config(settings())["formatters"]["guard"]["()"].endswith("TextFormatter")
