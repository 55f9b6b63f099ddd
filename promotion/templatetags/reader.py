"""`{% province_choice province_id %}`: the small form a reader picks their province with, posting
to /feed/province/ and coming back to the page it is on."""

from django import template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from .. import feed_cache
from ..forms import ProvinceForm

register = template.Library()


@register.inclusion_tag("promotion/_province_form.html", takes_context=True)
def province_choice(context, province_id=None):
    request = context.get("request")
    return {
        "field_html": _province_field(province_id),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }


def _province_field(province_id: int | None) -> SafeString:
    """The form's field, rendered once per choice and language and kept with the feed's caches
    (promotion.feed_cache): its choices are a query."""
    kept = feed_cache.kept(None, timezone.now()).provinces
    key = (province_id, translation.get_language())
    if key not in kept:
        form = ProvinceForm(initial={"province": province_id})
        kept[key] = mark_safe(render_to_string("storefront/_field.html", {"field": form["province"]}))  # noqa: S308 - our template
    return kept[key]
