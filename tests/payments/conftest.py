"""The Stripe tests' server: localstripe, started once for the session (see localstripe_server)."""

from .localstripe_server import localstripe, localstripe_server  # noqa: F401 - fixtures
