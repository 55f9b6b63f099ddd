"""How the processes log: plain text for a developer, one JSON object a line for production.

`LOG_FORMAT=json` (docker-compose sets it) gives lines a log shipper can parse without a pattern:
time, level, logger, message, the request id, and the traceback as one string. Anything else
(unset, `text`) keeps the readable lines a developer expects at a terminal. Either way every
line carries the request id (`-` outside a request or task), through `RequestIdFilter`."""

from pythonjsonlogger.core import RESERVED_ATTRS

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
# Attributes never written as fields: Python's own (as python-json-logger leaves out), and
# Django's `request` and `server_time`: a request's repr holds its path, and paths hold guests'
# order tokens and click tokens.
NOT_FIELDS = ("request", "server_time")


def logging_config(log_format: str, level: str) -> dict:
    """Django's LOGGING for this format and root level. An unknown format is refused, not ignored:
    a typo in production would otherwise silently log text the shipper cannot parse."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT is one of {', '.join(FORMATS)}, not {log_format!r}.")
    formatters = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            "reserved_attrs": [*RESERVED_ATTRS, *NOT_FIELDS],
            "json_ensure_ascii": False,  # Chinese stays readable, 3 bytes a character
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.request_ids.RequestIdFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        # One line a request (core.middleware.RequestIdMiddleware) is for log shippers; a
        # developer's runserver prints its own.
        "loggers": {"shanhuo.requests": {"level": level if log_format == "json" else "WARNING"}},
    }
