from decimal import Decimal, InvalidOperation

import graphene
from graphql.language import FloatValueNode, IntValueNode, StringValueNode


class ExactDecimal(graphene.Scalar):
    """A decimal amount such as "39.90". JSON numbers are read from their written form, never through
    binary floating point, so 39.9 means exactly 39.90."""

    @staticmethod
    def serialize(value):
        return str(value)

    @staticmethod
    def parse_literal(node, _variables=None):
        if isinstance(node, (StringValueNode, FloatValueNode, IntValueNode)):
            return ExactDecimal.parse_value(node.value)
        return graphene.types.scalars.Undefined

    @staticmethod
    def parse_value(value):
        if isinstance(value, bool):
            return graphene.types.scalars.Undefined
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except (InvalidOperation, ValueError):
            return graphene.types.scalars.Undefined
        return number if number.is_finite() else graphene.types.scalars.Undefined
