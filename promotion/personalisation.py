"""The reader's switch for personalised recommendation, and the "why this" line of each card.

China's Provisions on the Administration of Algorithmic Recommendation of Internet Information
Services (2022) ask a feed that ranks by the reader's traits to say so (art. 16) and to offer an
easy way to turn that off (art. 17). The feed is personal by default; a reader turns it off with
the switch on the feed page (`views.personalisation`) or the `feedPersonalisationSet` mutation.
The choice is kept in a cookie for every browser, and with the account for a signed-in reader, so
that it follows them to their other devices. While it is off, the feed is the one everybody gets:
the reader's stored affinities are not read (the feed passes `ViewerProfile(personal=False)`) and
no card says why it is shown for them.

Turning it off also sends `personalisation_turned_off` with the reader's viewer keys, so that what
was stored about them (their affinities) is deleted rather than kept for later: off means the
feed no longer knows them, not only that it stops showing it.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from core import viewers

from . import feed_trip
from .feed_reader import REASON_KINDS, Reason
from .feed_trip import Ask
from .models import ReaderChoice

# "0" when the browser's reader turned personalisation off; absent or "1" when it is on.
COOKIE = "shanhuo_personal"
COOKIE_AGE = viewers.VIEWER_COOKIE_AGE

# Sent (after the choice is saved) when a reader turns personalisation off; `viewer_keys` are
# core.viewers' keys of that reader ("u:<id>", "c:<cookie>"). Receivers delete what the feed
# stored about them (promotion.affinities).
personalisation_turned_off = Signal()


def enabled(request) -> bool:
    """Whether this request's reader gets the personal feed. An account's saved choice decides
    when there is one (the reader's latest word, on whichever device); otherwise the browser's
    cookie; otherwise on."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        saved = account_choice(user)
        if saved is not None:
            return saved
    return request.COOKIES.get(COOKIE) != "0"


def ask(request, asked: bool | None = None, *, new_cookie: bool = True) -> Ask:
    """Who the feed ranks for (promotion.feed_trip reads their choice and profile in the page's one
    call): known by a key, which frequency caps count by, the account's, else the browser's, minted
    on a first visit when `new_cookie` (a page sets it; an API client without a cookie stays
    unknown). `asked` False (the API's `personalised: false`) turns personalisation off for this
    page whatever the reader chose; otherwise an account's saved choice decides, else the cookie."""
    keys = viewers.viewer_keys(request)
    if not keys and new_cookie:
        keys = [f"c:{viewers.ensure_cookie(request)}"]
    if asked is False:
        return Ask(tuple(keys), personal=False)
    user = getattr(request, "user", None)
    account = user.pk if user is not None and user.is_authenticated else None
    return Ask(tuple(keys), personal=request.COOKIES.get(COOKIE) != "0", account_id=account)


def account_choice(user) -> bool | None:
    """The account's saved choice, None when it never chose."""
    return ReaderChoice.objects.filter(user=user).values_list("personalised", flat=True).first()


def choose(request, personalised: bool) -> None:
    """The switch, for this request's reader: kept with the account when signed in (the browser's
    cookie is the caller's: `remember`). On turning off, every key the reader is known by is sent
    with `personalisation_turned_off`, once the choice is committed."""
    user = getattr(request, "user", None)
    with transaction.atomic():
        if user is not None and user.is_authenticated:
            ReaderChoice.objects.update_or_create(user=user, defaults={"personalised": personalised})
        keys = viewers.viewer_keys(request)
        if not personalised and keys:
            transaction.on_commit(lambda: personalisation_turned_off.send(ReaderChoice, viewer_keys=keys))
    if user is not None and user.is_authenticated:
        # Where the feed's call reads it: at once (the reader's next page must follow the switch).
        feed_trip.remember_choice(user.pk, personalised)


def remember(response, personalised: bool):
    """Keep the choice in the browser (signed in or not: it still holds after signing out)."""
    if personalised:
        response.delete_cookie(COOKIE, samesite="Lax")
    else:
        response.set_cookie(COOKIE, "0", max_age=COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def reason_text(reason: Reason) -> str:
    """The card's "why this" line for `reason`, in the active language: short words a shopper
    with little schooling reads at a glance (因为您看过 苹果). Names are public names (a category,
    a village, a farmer), never the reader's own data."""
    name = reason.name
    if reason.kind == "category":
        return _("Because you looked at %(name)s") % {"name": name} if name else _("Like goods you looked at")
    if reason.kind == "village":
        return _("You looked at goods from %(name)s") % {"name": name} if name else _("From a village you looked at")
    if reason.kind == "farmer":
        return _("You looked at goods of %(name)s") % {"name": name} if name else _("From a farmer you looked at")
    if reason.kind == "province":
        return _("Near you: %(name)s") % {"name": name} if name else _("Near you")
    if reason.kind == "new":
        return _("New here, few have seen it yet")
    if reason.kind == "popular":
        return _("Many people like this")
    if reason.kind == "fresh":
        return _("Just listed")
    raise ValueError(f"unknown reason kind {reason.kind!r}; expected one of {REASON_KINDS}")


def why(entry, *, personal: bool) -> str | None:
    """The "why this" line of a feed entry (`feed.FeedEntry`): only organic goods with a reason,
    only while personalisation is on. A promoted slot shows none: its 广告 · <sponsor> label is
    the reason it is there, and a second line would blur that it is an ad."""
    if not personal or entry.promoted or entry.reason is None:
        return None
    return reason_text(entry.reason)


def explain(entries, *, personal: bool):
    """Set each entry's `why` (see `why`); returns the entries."""
    for entry in entries:
        entry.why = why(entry, personal=personal)
    return entries
