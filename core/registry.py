"""Named implementations chosen by settings, the way Django chooses cache backends.

A setting maps each name to `{"BACKEND": "dotted.path.Class", "OPTIONS": {...}}`. The class is
imported on first use and called with `name=` and the options; one instance per name is kept for
the process and dropped when a test changes the setting. Adding an implementation is one module
and one entry in the setting, never an edit to the code that uses it."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


class Registry:
    def __init__(self, setting: str):
        self.setting = setting
        self._instances: dict[str, object] = {}
        setting_changed.connect(self._forget, weak=False)

    def config(self) -> dict[str, dict]:
        return getattr(settings, self.setting)

    def names(self) -> list[str]:
        return list(self.config())

    def __contains__(self, name: str) -> bool:
        return name in self.config()

    def get(self, name: str):
        instance = self._instances.get(name)
        if instance is None:
            try:
                entry = self.config()[name]
            except KeyError:
                raise LookupError(f"{self.setting} has no entry {name!r}") from None
            try:
                cls = import_string(entry["BACKEND"])
            except (KeyError, ImportError) as error:
                raise ImproperlyConfigured(f"{self.setting}[{name!r}]: {error}") from error
            instance = self._instances[name] = cls(name=name, **entry.get("OPTIONS", {}))
        return instance

    def all(self) -> list:
        return [self.get(name) for name in self.names()]

    def _forget(self, *, setting, **kwargs):
        if setting == self.setting:
            self._instances.clear()
