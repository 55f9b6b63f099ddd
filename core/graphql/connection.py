import graphene


class CountableConnection(graphene.relay.Connection):
    """A Relay connection with `totalCount`, taken from the count DjangoConnectionField already runs."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    @staticmethod
    def resolve_total_count(root, info):
        return root.length
