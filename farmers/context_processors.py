from django.utils.functional import SimpleLazyObject

from .permissions import is_ngo_staff, is_seller


def roles(request):
    """What the navigation offers, by the same rules the pages enforce; computed only if used."""
    user = getattr(request, "user", None)
    return {
        "can_sell": SimpleLazyObject(lambda: is_seller(user)),
        "can_verify_farmers": SimpleLazyObject(lambda: is_ngo_staff(user)),
    }
