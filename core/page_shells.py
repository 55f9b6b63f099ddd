"""A page rendered once and kept, with holes for the parts that differ between requests.

The feed is the busiest page, and for a guest most of its HTML is the same in a given language: the
header, the menus, the switch, the forms. Rendering it through the template engine on every request
was a third of the page's time. Here a page is rendered once per (template, language, `key`) with
markers where the request's own parts go (its CSRF token, its path, and the HTML pieces the view
names as `holes`), kept in the process, and each request puts its parts into the kept pieces.

What makes that safe is the division of labour: a template rendered this way may read the request
only through its path and CSRF token, everything else that varies must be a hole or part of the
key (the caller's promise, checked by tests that compare both ways of rendering). Signed-in people
(the menu shows their roles) and requests with messages to show are rendered the usual way.
"""

import secrets

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render as render_page
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Letters and digits only: escaping and URL-encoding leave a marker as it is.
_MARK = "shell" + secrets.token_hex(12)
_PATH, _CSRF = "path", "csrf"
# Shells a process keeps at most (templates × languages × keys); past it they start over.
MAX_SHELLS = 2_000

_kept: dict[tuple, list[str]] = {}


def render(request, template_name: str, context: dict, *, key: tuple, holes: dict[str, SafeString]) -> HttpResponse:
    """The page for this request: from its kept shell when the request can use one, else rendered
    in full. `holes` are this request's HTML pieces (safe strings), which the template prints as
    they are; `context` must hold nothing else that differs between requests with the same key."""
    if not usable_for(request):
        response = render_page(request, template_name, {**context, **holes})
        response.context_data = context  # as a TemplateResponse has it: what the page was made of
        return response
    shell_key = (template_name, translation.get_language(), key)
    pieces = _kept.get(shell_key)
    if pieces is None:
        pieces = _render_shell(request, template_name, context, holes)
        if len(_kept) >= MAX_SHELLS:
            _kept.clear()
        _kept[shell_key] = pieces
    values = {**holes, _PATH: escape(request.get_full_path()), _CSRF: get_token(request)}
    out = pieces.copy()
    for at in range(1, len(out), 2):
        out[at] = values[out[at]]
    response = HttpResponse("".join(out))
    response.context_data = context
    return response


def usable_for(request) -> bool:
    """A guest with no message waiting: the shell's menu and message area are theirs too."""
    return not request.user.is_authenticated and not len(get_messages(request))


def forget() -> None:
    _kept.clear()


def _render_shell(request, template_name: str, context: dict, holes: dict) -> list[str]:
    """The page split at its markers: literal HTML at even positions, hole names at odd ones."""
    marked = {
        **context,
        **{name: mark_safe(_marker(name)) for name in holes},  # noqa: S308 - letters and digits
        "csrf_token": _marker(_CSRF),
        "request": _ShellRequest(request),
    }
    return render_to_string(template_name, marked, request=request).split(_MARK)


def _marker(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


class _ShellRequest:
    """The request as a template sees it while its shell is rendered: the path is a marker."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_full_path(self, force_append_slash=False):
        return _marker(_PATH)
