"""Small facts about the signed-in user that every page's navigation shows (may they sell, verify
farmers, see the sponsor pages), kept in their session for a minute so that a page does not ask
the database for them each time: the session is read anyway. A role gained or lost shows in the
navigation within MEMO_SECONDS; the pages themselves always check the rule afresh."""

import time

MEMO_SECONDS = 60
_KEY = "_nav_memo"


def remembered(request, name: str, compute) -> bool:
    """`compute()`, or what it answered for this session less than MEMO_SECONDS ago. Anonymous
    visitors get no session for it."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if session is None or user is None or not user.is_authenticated:
        return compute()
    memo = session.get(_KEY) or {}
    kept = memo.get(name)
    now = time.time()
    if kept is not None and kept[1] == user.pk and now - kept[2] < MEMO_SECONDS:
        return kept[0]
    value = bool(compute())
    memo[name] = (value, user.pk, now)
    session[_KEY] = memo
    return value
