"""Where a logged-in person starts, for pages of apps above farmers: such an app registers a test
of the user and its page's URL name in its AppConfig.ready(), since farmers may not import it
(docs/architecture.md). `farmers.accounts.views.home_for` asks them after its own cases."""

from collections.abc import Callable

_homes: list[tuple[Callable, str]] = []


def register_home(test: Callable, url_name: str) -> None:
    if (test, url_name) not in _homes:
        _homes.append((test, url_name))


def registered_home_for(user) -> str | None:
    """The URL name of the first registered page whose test passes for `user`, or None."""
    return next((url_name for test, url_name in _homes if test(user)), None)
