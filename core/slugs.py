"""Slugs for links people share: readable (Chinese kept) with a random tail, so two products or
stories with the same name still get different addresses."""

import secrets

from django.utils.text import slugify


def new_slug(text: str, model, fallback: str) -> str:
    """A slug not yet used by `model` (32 random bits: a clash is rare, but checked)."""
    base = slugify(text or "", allow_unicode=True)[:80] or fallback
    while True:
        slug = f"{base}-{secrets.token_hex(4)}"
        if not model.objects.filter(slug=slug).exists():
            return slug
