"""Building model instances from database rows without `Model.__init__`, for the models the
catalogue shows by the hundred.

Django's `from_db` calls `Model.__init__`, which sends `pre_init` and `post_init` and sets each
field through its descriptor: 4–7 µs an instance, and a catalogue page over the API builds ~600 of
them (a tenth of its CPU). When the row holds every concrete field (no `only()`/`defer()`) and
nobody listens to those two signals for the class, the result of `__init__` is known: a fresh
`ModelState` (not adding, this database) and each field's value in the instance's `__dict__` under
its attname, which is what every descriptor's `__set__` stores on a fresh instance. `FastRows`
builds exactly that directly; any other case goes through Django's own `from_db`.
tests/core/test_model_loading.py compares the two field by field for every model that uses it.
"""

from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


class FastRows:
    """Model mixin: `from_db` without `__init__` where the result is the same (see the module)."""

    @classmethod
    def from_db(cls, db, field_names, values):
        attnames = cls.__dict__.get("_fast_rows_attnames")
        if attnames is None:
            attnames = tuple(field.attname for field in cls._meta.concrete_fields)
            cls._fast_rows_attnames = attnames
        if len(values) != len(attnames) or _may_listen(cls):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        state = ModelState()
        state.adding = False
        state.db = db
        new._state = state
        new.__dict__.update(zip(attnames, values, strict=True))
        return new


def _may_listen(cls) -> bool:
    """Whether anyone hears this class's init signals; asked of the signals only when any
    receiver is connected at all (none is, in this project)."""
    if not pre_init.receivers and not post_init.receivers:
        return False
    return pre_init.has_listeners(cls) or post_init.has_listeners(cls)
