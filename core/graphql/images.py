"""What every processed photo shows over the API (core.image_models.ProcessedImage): its
processing status and a URL per size, null until processed."""

import graphene

from core.media_urls import absolute_file_url


class ImageSize(graphene.Enum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    ORIGINAL = "original"


def image_url_field() -> graphene.String:
    return graphene.String(
        size=graphene.Argument(ImageSize, default_value=ImageSize.MEDIUM),
        description="Null until the photo is processed.",
    )


def resolve_image_status(root, info):
    return root.status


def resolve_image_url(root, info, size):
    file = root.rendition(size.value)
    return absolute_file_url(info.context, file) if file else None
