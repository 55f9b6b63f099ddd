from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The project's own user model, set at the start so that phone log-in for farmers and
    email log-in for shoppers can be added later without swapping the model under live data."""

    # Part of every API token's fingerprint (core.api_tokens): replacing it ends all of the user's
    # tokens at once (tokensDeactivateAll). Empty until first replaced, so that the bearer tokens
    # issued before it existed keep their fingerprint.
    jwt_token_key = models.CharField(_("API token key"), max_length=32, blank=True, default="", editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
