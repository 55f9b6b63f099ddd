from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's own user model, set at the start so that phone log-in for farmers and
    email log-in for shoppers can be added later without swapping the model under live data."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
