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
