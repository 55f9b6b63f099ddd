"""`feed(first, after)`: a page of `promotion.feed.build_page`, shaped as a connection."""

import graphene
from django.core.exceptions import ValidationError

from core import viewers
from core.graphql.fields import graphql_error

from .. import feed
from ..feed_reader import ViewerProfile
from .feed_types import FeedConnection

DEFAULT_PAGE = 20


class FeedQueries(graphene.ObjectType):
    feed = graphene.Field(
        FeedConnection,
        required=True,
        first=graphene.Int(default_value=DEFAULT_PAGE, description=f"1 to {feed.MAX_PAGE} entries."),
        after=graphene.String(description="The `endCursor` of the page before."),
        description="Village stories and goods, newest first, with promoted goods in at most one slot in "
        "FEED_PROMOTED_EVERY (never two adjacent).",
    )

    @staticmethod
    def resolve_feed(root, info, first=DEFAULT_PAGE, after=None):
        try:
            page = feed.build_page(DEFAULT_PAGE if first is None else first, after, profile=_reader(info))
        except ValidationError as exc:
            raise graphql_error(exc, next(iter(exc.error_dict)) if hasattr(exc, "error_dict") else "first") from None
        return FeedConnection(
            edges=page.entries,
            page_info=graphene.relay.PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=page.entries[0].cursor if page.entries else None,
                end_cursor=page.end_cursor,
            ),
        )


def _reader(info) -> ViewerProfile:
    """The reader as far as frequency caps need: the account, else the browser's viewer cookie
    (an API client without either is shown no capped campaign)."""
    keys = viewers.viewer_keys(info.context)
    return ViewerProfile(key=keys[0] if keys else None)
