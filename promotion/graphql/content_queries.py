"""Stories and photo essays for readers (`contentItem`) and writers (`myContentItems`). Who sees
what is promotion.permissions' rule; lists load through promotion.selectors.with_content_relations."""

import graphene
from graphql import GraphQLError

from core.graphql.connection import ConnectionField
from core.graphql.fields import node_or_error

from ..permissions import content_managed_by, content_visible_to
from ..selectors import with_content_relations
from .content_types import ContentItemType, ContentStatusEnum


class ContentQueries(graphene.ObjectType):
    content_item = graphene.Field(
        ContentItemType,
        id=graphene.ID(),
        slug=graphene.String(),
        description="One story or photo essay by ID or slug: published ones for everyone, drafts for "
        "their author, operators and staff of the NGOs concerned.",
    )
    my_content_items = ConnectionField(
        ContentItemType,
        status=ContentStatusEnum(),
        description="The stories you may edit (of the villages your NGO covers; every one for operators), "
        "drafts included, most recently changed first.",
    )

    @staticmethod
    def resolve_content_item(root, info, id=None, slug=None):
        if (id is None) == (slug is None):
            raise GraphQLError("Give either id or slug.", extensions={"code": "INVALID", "field": "id"})
        if id is not None:
            return node_or_error(info, id, ContentItemType, "id")
        found = with_content_relations(content_visible_to(info.context.user)).filter(slug=slug)
        item = found.first()
        if item is None:
            raise GraphQLError(f"No story with slug {slug!r}.", extensions={"code": "NOT_FOUND", "field": "slug"})
        return item

    @staticmethod
    def resolve_my_content_items(root, info, status=None, **_page):
        items = content_managed_by(info.context.user)
        if status is not None:
            items = items.filter(status=status.value)
        return with_content_relations(items.order_by("-updated_at", "-id"))
