from django.utils.functional import SimpleLazyObject

from core.permissions import staff as is_operator

from .permissions import is_sponsor_staff


def roles(request):
    """Whether the navigation offers the sponsor pages, by the rule they enforce; computed only if used."""
    user = getattr(request, "user", None)
    return {"can_see_sponsor_pages": SimpleLazyObject(lambda: is_operator(user) or is_sponsor_staff(user))}
