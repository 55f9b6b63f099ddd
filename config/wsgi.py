import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.env import refuse_embedded_secret_key  # noqa: E402  (after settings are set up)

refuse_embedded_secret_key()
