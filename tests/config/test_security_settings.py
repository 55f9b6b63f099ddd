"""Production's security settings come from the environment, are safe when DEBUG is off, and the
site refuses to serve with the public embedded key (issue 18 defect 3); every page gets a
Content-Security-Policy whose nonce its inline scripts carry."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import READ

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_SECRET_KEY": "k8Vq2-production-like-secret-0f3b9c1e7a5d4b2c8e6f0a1b3c5d7e9f1a3b5c7d9e",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "shanhuo.example.cn",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shanhuo.example.cn",
    "DJANGO_SECURE_HSTS_PRELOAD": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    # Nor what other tests of this process set for themselves (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE).
    left_out = {*READ, "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in left_out}
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_of(env: dict, *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return __import__("json").loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_variables():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_still_warns_with_the_embedded_key():
    """So that the check above proves something: without the deployment's key it is not clean."""
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0 and "security.W009" in result.stderr + result.stdout


HTTPS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
)


def test_debug_off_defaults_to_https_and_each_setting_comes_from_the_environment():
    assert settings_of({"DJANGO_DEBUG": "0"}, *HTTPS) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    assert settings_of(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "600",
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
            "DJANGO_SECURE_HSTS_PRELOAD": "1",
            "DJANGO_SESSION_COOKIE_SECURE": "0",
            "DJANGO_CSRF_COOKIE_SECURE": "0",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        },
        *HTTPS,
    ) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    development = settings_of({"DJANGO_DEBUG": "1"}, *HTTPS)
    assert development["SECURE_SSL_REDIRECT"] is False and development["SESSION_COOKIE_SECURE"] is False


def test_the_server_refuses_to_start_without_a_secret_key_when_debug_is_off():
    refused = run(["-c", "import config.wsgi"], {"DJANGO_DEBUG": "0"})
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in refused.stderr
    assert run(["-c", "import config.wsgi"], {"DJANGO_DEBUG": "0", **PRODUCTION}).returncode == 0
    assert run(["-c", "import config.wsgi"], {"DJANGO_DEBUG": "1"}).returncode == 0, "development keeps the key"


def test_a_worker_refuses_too():
    """Before it reaches for a broker (none is running at this address)."""
    worker = ["-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "ERROR"]
    refused = run(worker, {"DJANGO_DEBUG": "0", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in refused.stderr


@pytest.mark.django_db
def test_pages_send_a_csp_whose_nonce_their_inline_scripts_carry(client):
    response = client.get("/accounts/signup/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert scripts, "the sign-up page has inline scripts (the language menu, the place lists)"
    assert all(f'nonce="{nonce}"' in attributes for attributes in scripts)
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert not re.search(r"\son[a-z]+=\"", response.content.decode()), "no inline event handlers"
    assert client.get("/accounts/signup/")["Content-Security-Policy"] != policy, "a fresh nonce per request"


@pytest.mark.django_db
def test_the_csp_allows_the_stripe_js_the_settings_name(client, settings):
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    policy = client.get("/")["Content-Security-Policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "http://127.0.0.1:8420" in script_src and "https://js.stripe.com" in script_src
