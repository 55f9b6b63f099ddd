"""`feedPersonalisationSet`: a signed-in reader's switch for personalised recommendation, kept with
the account (promotion.personalisation). A client without an account passes `personalised: false`
to `feed` instead."""

import graphene

from .. import personalisation
from .mutations import PromotionMutation


class FeedPersonalisationSet(PromotionMutation):
    """Signed-in readers only. Turning it off also deletes what the feed stored about the reader."""

    personalised = graphene.Boolean(description="The reader's choice, as saved.")

    class Arguments:
        personalised = graphene.Boolean(
            required=True, description="False: the feed everybody gets, without the reader's history."
        )

    @classmethod
    def perform_mutation(cls, root, info, personalised):
        personalisation.choose(info.context, personalised)
        return cls(personalised=personalised, errors=[])


class FeedMutations(graphene.ObjectType):
    feed_personalisation_set = FeedPersonalisationSet.Field()
