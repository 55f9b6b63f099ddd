"""Error reports to Sentry, only when a DSN is configured (settings.SENTRY_DSN): without one,
sentry_sdk is never imported, so a developer's or a test run sends nothing anywhere."""


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float = 0.0) -> None:
    """Django's and Celery's integrations: unhandled errors of views and tasks, with the request
    id as a tag. `send_default_pii=False`: no user, IP address, cookies or form bodies are sent;
    farmers' phone numbers and addresses must not leave for a third party."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from . import request_ids

    def tag_request_id(event, hint):
        request_id = request_ids.current()
        if request_id:
            event.setdefault("tags", {})["request_id"] = request_id
        return event

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=tag_request_id,
    )
