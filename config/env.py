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
