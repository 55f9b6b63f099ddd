"""`{% province_choice province_id %}`: the small form a reader picks their province with, posting
to /feed/province/ and coming back to the page it is on."""

from django import template
from django.utils import timezone

from .. import feed_cache

register = template.Library()


@register.inclusion_tag("promotion/_province_form.html", takes_context=True)
def province_choice(context, province_id=None):
    request = context.get("request")
    return {
        "field_html": feed_cache.province_field(feed_cache.kept(None, timezone.now()), province_id),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
