"""GraphQL types of stories and photo essays (extended by the content work; the feed uses them)."""

import graphene
from graphene_django import DjangoObjectType

from core.graphql.connection import CountableConnection

from ..models import ContentItem, ContentKind


class ContentKindEnum(graphene.Enum):
    STORY = ContentKind.STORY.value
    PHOTO_ESSAY = ContentKind.PHOTO_ESSAY.value


class ContentItemType(DjangoObjectType):
    class Meta:
        model = ContentItem
        name = "ContentItem"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "title", "slug", "summary", "body", "village", "published_at")
        connection_class = CountableConnection

    kind = graphene.Field(ContentKindEnum, required=True)

    @staticmethod
    def resolve_kind(root, info):
        return root.kind
