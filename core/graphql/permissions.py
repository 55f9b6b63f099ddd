"""Permissions a mutation declares in its Meta; object-level rules live in each app's services."""


def authenticated(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def staff(user) -> bool:
    return authenticated(user) and user.is_staff
