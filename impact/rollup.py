"""The daily roll-up (to come behind the same reads): for now the figures are read from the
ledger."""

from .ledger_source import farmer_facts, parts  # noqa: F401


def refresh_if_stale() -> None:
    """Bring the roll-up up to date before reading (nothing to do while it reads the ledger)."""
