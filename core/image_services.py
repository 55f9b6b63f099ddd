"""Accepting and processing photos of any ProcessedImage model (product photos, story photos).

`accept_upload` runs while the person waits: it checks the file (core.images.check_upload), keeps
the bytes as a private raw upload and asks for processing once the transaction commits, so the
worker always finds the row (through core.outbox: with the broker down, the photo stays PENDING
and is processed once it is back). `process_image` runs on the task (core.tasks.process_image): it
cleans the raw upload into the public renditions, and is safe to run twice.
"""

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core import outbox
from core.errors import field_error
from core.image_models import RENDITIONS, ImageStatus, ProcessedImage
from core.images import ImageRejected, check_upload, clean_image


def read_upload(upload, limit: int | None = None) -> bytes:
    """Read at most one byte past the limit: enough to know a file is too large."""
    limit = limit or settings.IMAGE_MAX_BYTES
    if hasattr(upload, "seek"):
        upload.seek(0)
    return upload.read(limit + 1)


def checked_upload(upload, field: str = "image") -> bytes:
    """The upload's bytes, or a ValidationError keyed by `field` with the pipeline's code."""
    if not isinstance(upload, UploadedFile):
        raise field_error(field, _("Send the photo as a file upload."), "invalid_image")
    data = read_upload(upload)
    try:
        check_upload(data)
    except ImageRejected as exc:
        raise field_error(field, exc.message, exc.code.lower()) from None
    return data


def accept_upload(image: ProcessedImage, data: bytes) -> ProcessedImage:
    """Save a new, PENDING image with its raw bytes in private storage; process it after the commit.

    Call inside the caller's transaction, after every check: nothing is enqueued if it rolls back."""
    from core.tasks import process_image as process_image_task

    image.status = ImageStatus.PENDING
    image.raw_upload.save(f"{secrets.token_hex(16)}.upload", ContentFile(data), save=False)
    image.save()
    label, pk = image._meta.label_lower, image.pk
    outbox.enqueue(process_image_task, [label, pk])  # kept for later if the broker is down
    return image


def process_image(model: type[ProcessedImage], image_id: int) -> ProcessedImage | None:
    """Clean a pending photo: safe to run twice (a retried task finds it done and stops)."""
    with transaction.atomic():
        image = model.objects.select_for_update().filter(pk=image_id).first()
        if image is None or image.status != ImageStatus.PENDING:
            return image
        raw = image.raw_upload
        try:
            with raw.open("rb") as handle:
                cleaned = clean_image(handle.read())
        except ImageRejected as exc:
            image.status, image.error_code, image.error_message = ImageStatus.FAILED, exc.code, str(exc.message)[:200]
        except FileNotFoundError:
            image.status, image.error_code = ImageStatus.FAILED, "UPLOAD_MISSING"
        else:
            stem = secrets.token_hex(8)
            image.original.save(f"{stem}.jpg", ContentFile(cleaned.original), save=False)
            for size, data in cleaned.thumbnails.items():
                getattr(image, size).save(f"{stem}-{size}.jpg", ContentFile(data), save=False)
            image.width, image.height, image.status = cleaned.width, cleaned.height, ImageStatus.READY
        raw_name = raw.name
        image.raw_upload = ""
        image.save()
        transaction.on_commit(lambda: raw.storage.delete(raw_name) if raw_name else None)
    return image


def delete_image_files(image: ProcessedImage) -> None:
    """Every file of a deleted image, raw upload included: call after the deleting commit."""
    for name in ("raw_upload", *RENDITIONS):
        file = getattr(image, name)
        if file:
            file.storage.delete(file.name)
