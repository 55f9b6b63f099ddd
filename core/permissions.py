"""Who someone is, in the terms every app's rules start from. Domain rules (services, selectors)
and the API (a mutation's `permission` in its Meta) use these same functions; an app's own
object-level rules live in its `permissions.py`."""


def authenticated(user) -> bool:
    """Logged in with an account that has not been switched off."""
    return bool(user and user.is_authenticated and user.is_active)


def staff(user) -> bool:
    """An operator of the platform."""
    return authenticated(user) and user.is_staff
