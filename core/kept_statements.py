"""Querysets compiled once a process and run again with other ids (PostgreSQL).

Building and compiling a Django query costs ~1 ms of CPU: more than PostgreSQL takes to run the
small lookups a catalogue page makes (its products' variants, photos, categories, villages). Their
SQL differs from page to page only by the ids, and `column = ANY(%s)` takes the ids as one array,
so the text is the same for every page: `KeptStatement` compiles the queryset once, with Django's
own compiler, and builds each row's instances as Django's `ModelIterable` does (the model, then
its `select_related` objects, after the fields' converters).

Only plain querysets are accepted: no annotations, no composite keys, nothing but model columns.
"""

from django.db import connections
from django.db.models import F, Lookup
from django.db.models.query import get_related_populators


class _AnyOf(Lookup):
    """`column = ANY(%s)`, the ids as one array parameter."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        # Typed as the column, whatever the ids' size (psycopg sends small numbers as smallint[]).
        return f"{lhs} = ANY(%s::{self.lhs.output_field.cast_db_type(connection)}[])", (*params, self.rhs)


class KeptStatement:
    """`queryset`'s rows whose `column` is one of some ids, compiled once for database `db`."""

    def __init__(self, queryset, column: str, db: str):
        if connections[db].vendor != "postgresql":
            raise ValueError("KeptStatement needs PostgreSQL (`= ANY(array)`).")
        ids = []  # found again by identity among the parameters
        compiler = queryset.using(db).filter(_AnyOf(F(column), ids)).query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        (self._at,) = (index for index, param in enumerate(params) if param is ids)
        if compiler.annotation_col_map or queryset._known_related_objects:
            raise ValueError("KeptStatement builds model instances only: no annotations.")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("KeptStatement does not load composite keys.")
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self._sql, self._params, self._db = sql, tuple(params), db
        self._compiler = compiler
        self._converters = compiler.get_converters(fields)
        self.model = klass_info["model"]
        self._slice = slice(start, end)
        self._init_list = [column[0].target.attname for column in compiler.select[start:end]]
        self._populators = get_related_populators(klass_info, compiler.select, db)

    def objects(self, ids) -> list:
        """The instances, in the queryset's order, for these ids (any iterable of them)."""
        params = list(self._params)
        params[self._at] = list(ids)
        with connections[self._db].cursor() as cursor:
            cursor.execute(self._sql, params)
            rows = cursor.fetchall()
        if self._converters:
            rows = self._compiler.apply_converters(rows, self._converters)
        found = []
        for row in rows:
            instance = self.model.from_db(self._db, self._init_list, row[self._slice])
            for populator in self._populators:
                populator.populate(row, instance)
            found.append(instance)
        return found
