"""The stored side of the photo pipeline (core.images), shared by product and story photos.

A concrete model says where its photos live (`upload_folder`); everything else — the raw upload in
private storage, the four renditions, the status the task moves from PENDING to READY or FAILED —
is the same for every kind of photo, so one task (core.tasks.process_image) serves them all.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.model_loading import FastRows

RENDITIONS = ("original", "small", "medium", "large")


class ImageStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class PrivateMediaStorage(FileSystemStorage):
    """Raw uploads keep their EXIF (GPS) until processed, so they live outside MEDIA_ROOT and are
    never served. Reads PRIVATE_MEDIA_ROOT on each use, as the default storage does MEDIA_ROOT."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


_private_storage = PrivateMediaStorage()


def private_storage():
    """A callable, so that migrations refer to it instead of freezing a path."""
    return _private_storage


def processed_image_path(instance, filename):
    return f"{instance.upload_folder()}/{filename}"


class ProcessedImage(FastRows, models.Model):
    """A photo shown only once processed (re-encoded, metadata stripped); see core.images."""

    status = models.CharField(
        _("status"), max_length=8, choices=ImageStatus.choices, default=ImageStatus.PENDING, db_index=True
    )
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.CharField(_("error message"), max_length=200, blank=True)
    raw_upload = models.FileField(
        _("uploaded file"), storage=private_storage, upload_to="uploads/", blank=True, editable=False
    )
    original = models.FileField(_("original photo"), upload_to=processed_image_path, blank=True)
    small = models.FileField(_("small photo"), upload_to=processed_image_path, blank=True)
    medium = models.FileField(_("medium photo"), upload_to=processed_image_path, blank=True)
    large = models.FileField(_("large photo"), upload_to=processed_image_path, blank=True)
    width = models.PositiveIntegerField(_("width (pixels)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height (pixels)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True

    def upload_folder(self) -> str:
        """The folder of the processed renditions under MEDIA_ROOT, e.g. `products/12`."""
        raise NotImplementedError

    def rendition(self, size: str = "medium"):
        """The processed file of this size, or None until processed."""
        if self.status != ImageStatus.READY:
            return None
        file = getattr(self, size)
        return file if file else None

    def url(self, size: str = "medium") -> str | None:
        file = self.rendition(size)
        return file.url if file else None
