from django.db import models
from django.utils.translation import gettext_lazy as _


class TsVectorField(models.TextField):
    """A PostgreSQL `tsvector` written from its text form (`'土豆':1A 'tudou':9C`), which the
    PostgreSQL backend composes itself, so no text-search parser re-splits our tokens. On SQLite
    the column is plain text and unused: that backend keeps an FTS5 table instead."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value, compiler, connection):
        return "%s::tsvector" if connection.vendor == "postgresql" else "%s"


class SearchEntry(models.Model):
    """One visible product as the database backends index it: the document's facet values, its
    name and description (for highlights), and its tokens (in the vectors, or SQLite's FTS5 table)."""

    product_id = models.BigIntegerField(_("product ID"), primary_key=True)
    name = models.TextField(_("name"))
    description = models.TextField(_("description"), blank=True)
    name_pinyin = models.TextField(_("name in pinyin"), blank=True)  # near matches of a misspelt pinyin (pg_trgm)
    # PostgreSQL: every token, matched through a GIN index; and the name, category, place and
    # pinyin tokens alone, small enough to stay in the row, which ranking reads.
    vector = TsVectorField(_("search words"), null=True)
    title_vector = TsVectorField(_("search words of the name"), null=True)
    category_id = models.BigIntegerField(_("category ID"))
    top_category_id = models.BigIntegerField(_("top category ID"))
    province_id = models.BigIntegerField(_("province ID"))
    county_id = models.BigIntegerField(_("county ID"))
    village_id = models.BigIntegerField(_("village ID"))
    min_price = models.DecimalField(_("lowest price"), max_digits=10, decimal_places=2, null=True)
    in_stock = models.BooleanField(_("in stock"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        # No foreign key to the product: the index may live in another database, and a deleted
        # product is removed from the index by the sync task, like any other engine's document.
        db_table = "search_entry"
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        indexes = [
            models.Index(fields=["category_id"], name="search_entry_category"),
            models.Index(fields=["top_category_id"], name="search_entry_top_category"),
            models.Index(fields=["province_id"], name="search_entry_province"),
            models.Index(fields=["county_id"], name="search_entry_county"),
            models.Index(fields=["village_id"], name="search_entry_village"),
            # Browsing everything, in stock first and newest first, reads this in order.
            models.Index(fields=["in_stock", "product_id"], name="search_entry_browse"),
        ]

    def __str__(self):
        return self.name


class PendingSync(models.Model):
    """A product whose document one backend missed (its engine was down, or the write failed): the
    sync writes it here instead, and `indexing.catch_up` (the sync task, and a beat task every
    minute) indexes it there once the engine answers again, then deletes the row. One row a
    backend and product, whatever the number of misses: indexing reads the product's current
    state, so catching up once is enough."""

    backend = models.CharField(_("search backend"), max_length=50)  # its name in SEARCH_BACKENDS
    product_id = models.BigIntegerField(_("product ID"))
    queued_at = models.DateTimeField(_("queued at"))  # the last miss; a catch-up deletes only older rows

    class Meta:
        db_table = "search_pending_sync"
        verbose_name = _("pending search sync")
        verbose_name_plural = _("pending search syncs")
        constraints = [
            models.UniqueConstraint(fields=["backend", "product_id"], name="search_pending_sync_once"),
        ]
        indexes = [models.Index(fields=["backend", "queued_at"], name="search_pending_sync_queue")]

    def __str__(self):
        return f"{self.backend}: {self.product_id}"
