"""System checks of promotion's setup (run by `manage.py check`, `runserver` and deployment)."""

from django.core.checks import Warning, register

from . import posters


@register()
def poster_font(app_configs, **kwargs):
    """Without a CJK font the share poster answers 503: say so before a shopper finds out."""
    if posters.find_font() is not None:
        return []
    return [
        Warning(
            "No CJK font for the share posters: /p/<slug>/poster.png answers 503.",
            hint="Install one (apt-get install fonts-noto-cjk) or set POSTER_FONT to a CJK font file.",
            id="promotion.W001",
        )
    ]
