"""Stories and photo essays about villages and farmers: the organic part of the feed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.image_models import ProcessedImage
from farmers.models import NGO, Farmer, Village
from shop.models import Product


class ContentKind(models.TextChoices):
    STORY = "story", _("Story")
    PHOTO_ESSAY = "photo_essay", _("Photo essay")


class ContentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ContentItem(models.Model):
    """Written by NGO staff (about villages their NGO covers) or operators, shown once published."""

    kind = models.CharField(_("kind"), max_length=12, choices=ContentKind.choices, default=ContentKind.STORY)
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"), max_length=20000, blank=True)
    village = models.ForeignKey(Village, models.PROTECT, related_name="stories", verbose_name=_("village"))
    farmer = models.ForeignKey(
        Farmer, models.SET_NULL, null=True, blank=True, related_name="stories", verbose_name=_("farmer")
    )
    products = models.ManyToManyField(Product, blank=True, related_name="stories", verbose_name=_("goods featured"))
    ngo = models.ForeignKey(
        NGO, models.SET_NULL, null=True, blank=True, related_name="stories", verbose_name=_("published for NGO")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ContentStatus.choices, default=ContentStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def __str__(self):
        return self.title

    @property
    def is_published(self) -> bool:
        """Shown to shoppers (the same test as `permissions.content_visible_to`'s for everyone)."""
        return self.status == ContentStatus.PUBLISHED and self.published_at is not None


def _content_image_path(instance, filename):
    """Named by migration 0001; the field now uses core.image_models.processed_image_path."""
    return f"stories/{instance.item_id}/{filename}"


class ContentImage(ProcessedImage):
    """A photo of a story: through the same pipeline as product photos (EXIF, GPS stripped)."""

    item = models.ForeignKey(ContentItem, models.CASCADE, related_name="images", verbose_name=_("story"))
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("story photo")
        verbose_name_plural = _("story photos")

    def __str__(self):
        return f"{self.item.title} #{self.position}"

    def upload_folder(self) -> str:
        return f"stories/{self.item_id}"
