"""Environment access for settings.

Every variable is read through `env()`, which records its name, so a test can check that the
deployment files (docker-compose.yml) set every variable the settings depend on.
"""

import os

READ: dict[str, str | None] = {}


def env(name: str, default: str | None = None) -> str | None:
    READ[name] = default
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "1" if default else "0")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def refuse_embedded_secret_key() -> None:
    """Called where the site starts serving (config.wsgi, so gunicorn and runserver) and where a
    worker starts: with DEBUG off there must be a DJANGO_SECRET_KEY of the deployment's own. The
    key written in the settings is public (it is in the repository), and with it anyone could forge
    sessions, password-reset links and signed order links. Commands such as makemessages or
    collectstatic (the image's build) still run without one."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.DEBUG and settings.SECRET_KEY == settings.EMBEDDED_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: refusing to serve with DEBUG off and the key written in the "
            "settings, which is public. Set DJANGO_SECRET_KEY to a long random value of this deployment "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'), or DJANGO_DEBUG=1 on a "
            "development machine."
        )
