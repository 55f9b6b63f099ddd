"""The ways to run: embedded defaults, real services, docker-compose, and the README's commands."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from graphene_django.settings import graphene_settings

from config.env import READ

ROOT = Path(__file__).resolve().parents[2]


def test_compose_sets_every_variable_the_settings_read_for_web_worker_and_beat():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert READ, "settings should read their configuration through config.env"
    for service in ("web", "worker", "beat"):
        environment = compose["services"][service]["environment"]
        missing = sorted(set(READ) - set(environment))
        assert not missing, f"{service} lacks {missing}"
    assert {"postgres", "redis", "elasticsearch"} <= set(compose["services"])
    assert "gunicorn" in compose["services"]["web"]["command"]


def settings_in_subprocess(env: dict) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "from config.celery import app; "
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
        "'eager': app.conf.task_always_eager, 'broker': app.conf.broker_url, "
        "'cache': s.CACHES['default']['BACKEND'], 'tz': s.TIME_ZONE, 'language': s.LANGUAGE_CODE}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in READ}
    output = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def test_no_configuration_runs_embedded():
    embedded = settings_in_subprocess({})
    assert embedded["engine"] == "django.db.backends.sqlite3"
    assert embedded["name"].endswith("db.sqlite3")
    assert embedded["eager"] is True
    assert embedded["cache"].endswith("LocMemCache")
    assert (embedded["tz"], embedded["language"]) == ("Asia/Shanghai", "zh-hans")


def test_service_variables_switch_to_postgres_and_a_redis_broker():
    real = settings_in_subprocess(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/shop", "REDIS_URL": "redis://cache.example:6379/0"}
    )
    assert real["engine"] == "django.db.backends.postgresql"
    assert real["name"] == "shop"
    assert real["eager"] is False
    assert real["broker"] == "redis://cache.example:6379/0"
    assert real["cache"].endswith("RedisCache")
    separate = settings_in_subprocess({"CELERY_BROKER_URL": "amqp://guest@127.0.0.1//"})
    assert separate["broker"].startswith("amqp://") and separate["eager"] is False


def test_committed_schema_matches_the_code():
    from django.utils import translation
    from graphql import print_schema

    # Descriptions are lazy texts: printed in English, as `export_schema` prints them, whatever
    # language an earlier test left active.
    with translation.override("en"):
        printed = print_schema(graphene_settings.SCHEMA.graphql_schema).strip()
    committed = (ROOT / "schema.graphql").read_text().strip()
    assert printed == committed, "schema.graphql is stale: run `.venv/bin/python manage.py export_schema`"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:sh|bash)?\n(.+?)\n```", readme, flags=re.S)[:2]
    assert commands == ["sh scripts/serve.sh", "sh scripts/test.sh"]
    assert "sh scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
