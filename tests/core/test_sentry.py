"""Sentry is set up only when SENTRY_DSN is set: without it the SDK is not even imported. With a DSN
the Django and Celery integrations are on and no personal data is sent. No event is sent here:
init opens no connection, and the DSN points at a closed local port."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, sys, django; django.setup(); "
    "loaded = 'sentry_sdk' in sys.modules; out = {'loaded': loaded}; "
    'exec("if loaded:\\n import sentry_sdk\\n c = sentry_sdk.get_client()\\n'
    " out.update(active=c.is_active(), pii=c.options['send_default_pii'], environment=c.options['environment'],"
    ' integrations=sorted(c.integrations))"); '
    "print(json.dumps(out))"
)


def settings_loaded_with(env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_dsn_sentry_is_never_imported():
    assert settings_loaded_with({}) == {"loaded": False}
    assert settings_loaded_with({"SENTRY_DSN": ""}) == {"loaded": False}


def test_with_a_dsn_sentry_runs_with_django_and_celery_and_no_personal_data():
    out = settings_loaded_with({"SENTRY_DSN": "http://publickey@127.0.0.1:9/1", "SENTRY_ENVIRONMENT": "staging"})
    assert out["loaded"] is True and out["active"] is True
    assert out["pii"] is False
    assert out["environment"] == "staging"
    assert {"django", "celery"} <= set(out["integrations"])
