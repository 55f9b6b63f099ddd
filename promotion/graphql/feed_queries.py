"""`feed(first, after, personalised)`: a page of `promotion.feed.build_page`, shaped as a connection."""

import graphene
from django.core.exceptions import ValidationError

from core.graphql.fields import graphql_error

from .. import feed, personalisation
from .feed_types import FeedConnection

DEFAULT_PAGE = 20


class FeedQueries(graphene.ObjectType):
    feed = graphene.Field(
        FeedConnection,
        required=True,
        first=graphene.Int(default_value=DEFAULT_PAGE, description=f"1 to {feed.MAX_PAGE} entries."),
        after=graphene.String(description="The `endCursor` of the page before."),
        personalised=graphene.Boolean(
            description="False: the feed everybody gets, not ranked by the reader's history, with no `why`. "
            "Null (or true): the reader's own choice (feedPersonalisationSet, or the switch's cookie), personal by "
            "default; true does not override a reader's choice of off."
        ),
        description="Village stories and goods, newest first, with promoted goods in at most one slot in "
        "FEED_PROMOTED_EVERY (never two adjacent).",
    )

    @staticmethod
    def resolve_feed(root, info, first=DEFAULT_PAGE, after=None, personalised=None):
        ask = personalisation.ask(info.context, personalised, new_cookie=False)
        try:
            page = feed.build_page(DEFAULT_PAGE if first is None else first, after, ask=ask)
        except ValidationError as exc:
            raise graphql_error(exc, next(iter(exc.error_dict)) if hasattr(exc, "error_dict") else "first") from None
        personalisation.explain(page.entries, personal=page.profile.personal)
        return FeedConnection(
            personalised=page.profile.personal,
            edges=page.entries,
            page_info=graphene.relay.PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=page.entries[0].cursor if page.entries else None,
                end_cursor=page.end_cursor,
            ),
        )
