"""Stories and photo essays for readers (`contentItem`) and writers (`myContentItems`). Who sees
what is promotion.permissions' rule; lists load through promotion.selectors.with_content_relations."""

import graphene

from core.graphql.connection import ConnectionField
from core.graphql.fields import node_by_id_or_slug

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
        visible = with_content_relations(content_visible_to(info.context.user))
        return node_by_id_or_slug(info, ContentItemType, id, slug, visible, "story")

    @staticmethod
    def resolve_my_content_items(root, info, status=None, **_page):
        items = content_managed_by(info.context.user)
        if status is not None:
            items = items.filter(status=status.value)
        return with_content_relations(items.order_by("-updated_at", "-id"))
