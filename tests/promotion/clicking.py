"""Clicking promoted links in tests: the real /r/<token> view, or the service with injected time."""

from django.utils import timezone

from promotion import clicks, tokens

BROWSER = "Mozilla/5.0 (Linux; Android 12; Redmi 9A) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"


def click(campaign, product, *, viewer="c:" + "a" * 32, now=None, served=None, user=None, user_agent=BROWSER):
    """A click on a token served at `served` (default: `now`), made at `now` (default: now)."""
    now = now or timezone.now()
    token = tokens.issue(campaign.pk, product.pk, served or now)
    return clicks.record_click(token, viewer_key=viewer, user=user, user_agent=user_agent, now=now).click
