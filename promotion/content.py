"""Stories and photo essays: every change to them.

NGO staff write about the villages their NGO covers; operators about any village (the rules are in
`promotion.permissions`). A story is a draft until published; its slug never changes after
creation, so shared links keep working. Each function checks everything first and writes nothing
when it refuses (a ValidationError keyed by the field at fault, or PermissionDenied).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from core.image_models import ImageStatus
from core.image_services import accept_upload, checked_upload, delete_image_files
from core.slugs import new_slug
from farmers.permissions import ngos_of
from shop.catalog import clean_text

from .models import ContentImage, ContentItem, ContentKind, ContentStatus
from .permissions import can_publish_for

MAX_IMAGES_PER_ITEM = 12
MAX_PRODUCTS_PER_ITEM = 20
EDITABLE_FIELDS = ("kind", "title", "summary", "body", "village", "farmer", "products", "ngo")
LIMITS = {"title": 120, "summary": 300, "body": 20000, "caption": 300}


def _ensure_can_publish_for(user, village) -> None:
    if not can_publish_for(user, village):
        raise PermissionDenied(_("You can only write about villages your NGO covers."))


# --- Validation -------------------------------------------------------------------------------


class _Errors:
    """Collects one error per field, so a form shows every problem at once."""

    def __init__(self):
        self.errors: dict[str, ValidationError] = {}

    def check(self, field: str, clean, *args, **kwargs):
        try:
            return clean(*args, **kwargs)
        except ValidationError as exc:
            self.errors.setdefault(field, exc.error_dict[field][0] if hasattr(exc, "error_dict") else exc)
            return None

    def add(self, field: str, message, code: str, **params) -> None:
        self.errors.setdefault(field, ValidationError(message, code=code, params=params or None))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _text(value, field: str, *, required: bool = False, multiline: bool = False) -> str:
    text = clean_text(value, field, multiline=multiline)
    if required and not text:
        raise field_error(field, _("This field is required."), "required")
    if len(text) > LIMITS[field]:
        raise field_error(field, _("Keep this to at most %(max)d characters."), "max_length", max=LIMITS[field])
    return text


def _kind(value) -> str:
    if value not in ContentKind.values:
        raise field_error("kind", _("Choose a story or a photo essay."), "invalid")
    return value


def _check_relations(errors: _Errors, actor, values: dict, ngo_chosen: bool) -> None:
    """The farmer lives in the village, the goods come from it, and the NGO covers it."""
    village, farmer, ngo = values["village"], values["farmer"], values["ngo"]
    if farmer is not None and farmer.village_id != village.pk:
        errors.add(
            "farmer", _("This farmer does not live in %(village)s."), "farmer_not_in_village", village=village.name
        )
    products = values["products"]
    if len(products) > MAX_PRODUCTS_PER_ITEM:
        errors.add("products", _("Feature at most %(max)d goods."), "too_many_products", max=MAX_PRODUCTS_PER_ITEM)
    elsewhere = [product for product in products if product.village_id != village.pk]
    if elsewhere:
        # No name in the message: the goods may be a draft the officer may not see.
        errors.add(
            "products",
            _("Some of these goods do not come from %(village)s."),
            "product_not_in_village",
            village=village.name,
        )
    if ngo is not None:
        if not ngo.villages.filter(pk=village.pk).exists():
            errors.add(
                "ngo",
                _("%(ngo)s does not cover %(village)s."),
                "ngo_not_covering_village",
                ngo=ngo.name,
                village=village.name,
            )
        elif ngo_chosen and not actor.is_staff and not ngo.staff.filter(pk=actor.pk).exists():
            errors.add("ngo", _("You can only publish for your own NGO."), "invalid")


def _default_ngo(actor, village):
    """NGO staff publish in the name of their NGO covering the village; operators in nobody's."""
    if actor.is_staff:
        return None
    return ngos_of(actor).filter(villages=village).order_by("name", "pk").first()


def _unique_products(products) -> list:
    seen, unique = set(), []
    for product in products or ():
        if product.pk not in seen:
            seen.add(product.pk)
            unique.append(product)
    return unique


def _has_ready_photo(item: ContentItem) -> bool:
    return item.images.filter(status=ImageStatus.READY).exists()


def check_publishable(item: ContentItem) -> None:
    """A published story has text; a published photo essay has at least one processed photo (a
    photo still being processed does not count: the shopper would see an essay with no photos)."""
    if item.kind == ContentKind.PHOTO_ESSAY and not _has_ready_photo(item):
        raise field_error(
            "images",
            _("A photo essay needs at least one processed photo before it is published."),
            "photo_essay_needs_photo",
        )
    if item.kind == ContentKind.STORY and not item.body:
        raise field_error("body", _("Write the story before publishing it."), "required")


# --- Items ------------------------------------------------------------------------------------


def clean_content(actor, *, kind, title, summary, body, village, farmer, products, ngo, ngo_chosen=True) -> dict:
    """Every field checked (all problems reported at once, keyed by field), then the relations: the
    farmer lives in the village, the goods come from it, the NGO covers it and, when `ngo_chosen`,
    is the actor's own. Used by the services and by the admin's form."""
    errors = _Errors()
    values = {
        "kind": errors.check("kind", _kind, kind),
        "title": errors.check("title", _text, title, "title", required=True),
        "summary": errors.check("summary", _text, summary, "summary"),
        "body": errors.check("body", _text, body, "body", multiline=True),
        "village": village,
        "farmer": farmer,
        "products": _unique_products(products),
        "ngo": ngo,
    }
    if village is None:
        errors.add("village", _("This field is required."), "required")
    else:
        _check_relations(errors, actor, values, ngo_chosen)
    errors.raise_any()
    return values


@transaction.atomic
def create_content(
    actor, *, kind, title, summary="", body="", village, farmer=None, products=(), ngo=None
) -> ContentItem:
    """A new draft, written by `actor` about `village`, for the actor's NGO unless `ngo` says otherwise."""
    _ensure_can_publish_for(actor, village)
    chosen = ngo is not None
    values = clean_content(
        actor,
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        village=village,
        farmer=farmer,
        products=products,
        ngo=ngo if chosen else _default_ngo(actor, village),
        ngo_chosen=chosen,
    )
    products = values.pop("products")
    item = ContentItem(
        **values, slug=new_slug(values["title"], ContentItem, "story"), author=actor, status=ContentStatus.DRAFT
    )
    item.save()
    item.products.set(products)
    return item


@transaction.atomic
def update_content(actor, item: ContentItem, **changes) -> ContentItem:
    """Change the given fields only; the slug stays, and a published item stays publishable. Moved
    to another village, it keeps its NGO if that covers the new village, else takes the actor's."""
    item = (
        ContentItem.objects.select_for_update(of=("self",)).select_related("village", "farmer", "ngo").get(pk=item.pk)
    )
    _ensure_can_publish_for(actor, item.village)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be changed here")
    village = changes.get("village", item.village)
    if village is not None and village.pk != item.village_id:
        _ensure_can_publish_for(actor, village)
    values = {
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "village": item.village,
        "farmer": item.farmer,
        "products": list(item.products.all()),
        "ngo": item.ngo,
        **changes,
    }
    if village is not None and village.pk != item.village_id and "ngo" not in changes:
        keep = item.ngo is not None and item.ngo.villages.filter(pk=village.pk).exists()
        values["ngo"] = item.ngo if keep else _default_ngo(actor, village)
    values = clean_content(actor, **values, ngo_chosen="ngo" in changes)
    products = values.pop("products")
    for field, value in values.items():
        setattr(item, field, value)
    if item.status == ContentStatus.PUBLISHED:
        check_publishable(item)
    item.save()
    if "products" in changes:
        item.products.set(products)
    return item


@transaction.atomic
def publish_content(actor, item: ContentItem) -> ContentItem:
    """Show it to shoppers. `published_at` is set on the first publication only, so unpublishing to
    fix a typo does not push an old story back to the top of the feed."""
    item = ContentItem.objects.select_for_update(of=("self",)).select_related("village").get(pk=item.pk)
    _ensure_can_publish_for(actor, item.village)
    check_publishable(item)
    if item.status != ContentStatus.PUBLISHED:
        item.status = ContentStatus.PUBLISHED
        item.published_at = item.published_at or timezone.now()
        item.save(update_fields=["status", "published_at", "updated_at"])
    return item


@transaction.atomic
def unpublish_content(actor, item: ContentItem) -> ContentItem:
    item = ContentItem.objects.select_for_update(of=("self",)).select_related("village").get(pk=item.pk)
    _ensure_can_publish_for(actor, item.village)
    if item.status != ContentStatus.DRAFT:
        item.status = ContentStatus.DRAFT
        item.save(update_fields=["status", "updated_at"])
    return item


# --- Photos -----------------------------------------------------------------------------------


@transaction.atomic
def add_content_image(actor, item: ContentItem, upload, caption: str = "") -> ContentImage:
    """Check the file at once (so the officer sees the problem), then process it on a task: until
    then the raw upload, GPS and all, sits in private storage and is shown to nobody."""
    item = ContentItem.objects.select_for_update(of=("self",)).select_related("village").get(pk=item.pk)
    _ensure_can_publish_for(actor, item.village)
    if item.images.exclude(status=ImageStatus.FAILED).count() >= MAX_IMAGES_PER_ITEM:
        raise field_error("image", _("A story has at most %(max)d photos."), "too_many_images", max=MAX_IMAGES_PER_ITEM)
    caption = _text(caption, "caption")
    data = checked_upload(upload, "image")
    position = (item.images.aggregate(top=Max("position"))["top"] or 0) + 1
    return accept_upload(ContentImage(item=item, caption=caption, position=position), data)


@transaction.atomic
def delete_content_image(actor, image: ContentImage) -> None:
    """Remove a photo and its files (after the commit). The last processed photo of a published
    photo essay stays until the essay is unpublished: it would otherwise be an essay of no photos."""
    item = ContentItem.objects.select_for_update(of=("self",)).select_related("village").get(pk=image.item_id)
    _ensure_can_publish_for(actor, item.village)
    image = ContentImage.objects.get(pk=image.pk)
    if (
        item.status == ContentStatus.PUBLISHED
        and item.kind == ContentKind.PHOTO_ESSAY
        and image.status == ImageStatus.READY
        and not item.images.filter(status=ImageStatus.READY).exclude(pk=image.pk).exists()
    ):
        raise field_error(
            "image",
            _("This is the last photo of a published photo essay; unpublish the essay first."),
            "photo_essay_needs_photo",
        )
    image.delete()
    transaction.on_commit(lambda: delete_image_files(image))
