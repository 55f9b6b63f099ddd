from celery import shared_task

from . import rollup


@shared_task
def refresh_rollup():
    """Every minute: the days touched since the last refresh (one refresh at a time)."""
    rollup.refresh(wait=False)


@shared_task
def rebuild_rollup():
    """Every night: every day rebuilt, in case a transaction took longer than the overlap to commit."""
    rollup.refresh(full=True)
