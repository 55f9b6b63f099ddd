import graphene


class AddressType(graphene.ObjectType):
    """A mainland delivery address (省 市 区, street, recipient, phone)."""

    class Meta:
        name = "Address"

    province = graphene.String(required=True)
    city = graphene.String(required=True)
    district = graphene.String(required=True)
    street = graphene.String(required=True)
    recipient = graphene.String(required=True)
    phone = graphene.String(required=True)


class AddressInput(graphene.InputObjectType):
    province = graphene.String(required=True, description="e.g. 广东省 (or 广东), 北京市, 广西壮族自治区.")
    city = graphene.String(required=True)
    district = graphene.String(required=True)
    street = graphene.String(required=True)
    recipient = graphene.String(required=True)
    phone = graphene.String(required=True, description="An 11-digit mainland mobile number.")


def address_of(obj) -> dict | None:
    return obj.address_values() if obj.has_address else None
