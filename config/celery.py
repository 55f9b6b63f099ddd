import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shanhuo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect(weak=False)
def keep_django_logging(**kwargs):
    """The worker logs through Django's LOGGING (core.logs: JSON or text, with request ids),
    which django.setup() has applied; a receiver here stops Celery replacing it with its own."""


@signals.celeryd_init.connect
def _refuse_embedded_secret_key(**kwargs):
    """`celery worker` (not the tests' in-process workers): workers sign what they send too (order
    links in mails), so the same rule as config.wsgi."""
    from django.core.exceptions import ImproperlyConfigured

    from config.env import refuse_embedded_secret_key

    try:
        refuse_embedded_secret_key()
    except ImproperlyConfigured as error:  # Celery logs and ignores a receiver's exceptions
        raise SystemExit(f"ImproperlyConfigured: {error}") from None
