"""Marking what matched, in Python, so every backend highlights Chinese, pinyin and synonym
matches alike (Elasticsearch's own highlighter cannot see that "tudou" matched 土豆)."""

from django.utils.html import escape

from .analysis import AnalysedQuery, _tokenizer, english_stem, normalise, word_pinyin

SNIPPET_LENGTH = 80


def _spans(text: str, query: AnalysedQuery, snippet: bool) -> list[tuple[int, int]]:
    lowered = normalise(text)
    if len(lowered) != len(text):  # NFKC changed the length: match on the text as it is
        lowered = text.lower()
    literals, ascii_tokens = set(), set()
    for term in query.terms:
        for alternative in term.alternatives:
            joined = "".join(alternative) if not alternative[0].isascii() else " ".join(alternative)
            if alternative[0].isascii() and len(alternative) == 1:
                ascii_tokens.add(alternative[0])
            literals.add(joined)
    prefixes = {alt[-1] for term in query.terms if term.prefix for alt in term.alternatives if alt[-1].isascii()}
    spans = []
    for literal in literals:
        if not literal:
            continue
        start = lowered.find(literal)
        while start != -1:
            end = start + len(literal)
            # An ASCII word matches whole words only ("pear" is not in "spear").
            if not literal.isascii() or _word_bounded(lowered, start, end):
                spans.append((start, end))
            start = lowered.find(literal, end)
    # Pinyin is indexed for names only: a description is never matched through it.
    if (ascii_tokens or prefixes) and not snippet:
        position = 0
        for word in _tokenizer().cut(lowered):
            end = position + len(word)
            candidates = {english_stem(word)} | set(word_pinyin(word))
            if candidates & ascii_tokens or any(c.startswith(p) for c in candidates for p in prefixes):
                spans.append((position, end))
            position = end
    return _merge(spans)


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def _merge(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, spans, start: int, end: int) -> str:
    parts, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        parts.append(escape(text[cursor:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(escape(text[cursor:end]))
    return "".join(parts)


def highlight(text: str, query: AnalysedQuery, snippet: bool = False) -> str | None:
    """HTML of `text` with matches in <mark> (everything else escaped), or None if nothing matched.
    With `snippet`, only about SNIPPET_LENGTH characters around the first match, with ellipses."""
    if not text or not query.terms:
        return None
    spans = _spans(text, query, snippet)
    if not spans:
        return None
    start, end = 0, len(text)
    if snippet and len(text) > SNIPPET_LENGTH:
        start = max(0, spans[0][0] - SNIPPET_LENGTH // 4)
        end = min(len(text), start + SNIPPET_LENGTH)
    html = _render(text, spans, start, end)
    return ("…" if start else "") + html + ("…" if end < len(text) else "")


def highlights(document: dict, query: AnalysedQuery) -> dict[str, str]:
    """The highlights of a hit: `name` and a `description` snippet, where anything matched."""
    found = {}
    name = highlight(document.get("name") or "", query)
    if name:
        found["name"] = name
    description = highlight(document.get("description") or "", query, snippet=True)
    if description:
        found["description"] = description
    return found
