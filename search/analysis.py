"""Text analysis shared by every backend: the same tokens are indexed and searched for whether the
engine is Elasticsearch, PostgreSQL or SQLite, so a query finds the same goods on each.

- Every text (names, descriptions, queries) is first normalised: full-width letters and digits to
  ASCII, lower case, and traditional characters to simplified (OpenCC's t2s, phrase by phrase),
  so 蘋果 finds 苹果 and a name written 獼猴桃 is found by 猕猴桃.
- A quantity (5斤, 250克, 12个) is one word, so "5斤" finds goods sold in 5斤装 and not goods that
  say 5 somewhere and 斤 elsewhere; the index also keeps its number and unit apart.
- Chinese is segmented with jieba (search mode when indexing, so long words also yield their
  parts), using `dictionary/user_dict.txt` for produce and place names jieba splits badly.
- Names also yield their single characters and their bigrams, so one- and two-character queries
  match inside a word (橙 and 脐橙 find 赣南脐橙) and a longer word segmented differently in a name
  still matches through its bigrams.
- Pinyin (full, initials and syllables) is computed with pypinyin, so "tudou", "td" and
  "tu dou" find 土豆.
- Synonyms come from `dictionary/synonyms.txt` and are expanded at query time.
- Stop words (`dictionary/stop_words.txt`: 想, 买点, 的, 正宗, 请问 …) are dropped from a query, unless
  nothing else is left: "想买点正宗的赣南脐橙" searches for 赣南脐橙.
- A term knows which of its alternatives is what was typed (`Term.own`): only that may match
  the weak fields of a document (a seller's name, English names of category and places), so a
  synonym never pulls in goods through them ("tudou" → potato ↛ "Potatoes and tubers").
- A query need not match in full: `required_terms` says how many of its words a product must hold,
  and every backend ranks the goods that hold more of them first.
- `word_similarity` is pg_trgm's near match, for the backends that have no pg_trgm.
"""

import functools
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jieba
from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionary"
USER_DICT = DICTIONARY_DIR / "user_dict.txt"
SYNONYMS = DICTIONARY_DIR / "synonyms.txt"
STOP_WORDS = DICTIONARY_DIR / "stop_words.txt"

# Longer input is refused rather than cut, so the shopper knows the words past it were not used.
MAX_QUERY_LENGTH = 100
# A query of more words than this only narrows to nothing; the rest are dropped.
MAX_QUERY_TERMS = 12

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2EBEF),
)
_NON_WORD = re.compile(r"[^\w]+|_+")
# A whole number and its unit: "5斤", "5 斤", "250克", "1kg"; "5斤装" is 5斤 too. Not the 5 of 2.5
# (that stays 2 · 5).
_QUANTITY = re.compile(
    r"(?<![\d.])(\d+)\s*(公斤|千克|毫升|斤|克|两|升|个|枚|只|袋|盒|箱|瓶|罐|桶|件|kg|g|ml)(?![a-z\d])装?"
)


_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]")
_CJK_RUN = re.compile(_CJK.pattern + "+")


def is_cjk(char: str) -> bool:
    return _CJK.fullmatch(char) is not None


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


_lock = threading.Lock()
jieba.setLogLevel(logging.WARNING)


@functools.cache
def _tokenizer() -> jieba.Tokenizer:
    """jieba's own tokenizer, loaded once a process, with our dictionary of produce and places."""
    with _lock:
        tokenizer = jieba.Tokenizer()
        tokenizer.load_userdict(_user_dict_lines())
        return tokenizer


def _user_dict_lines():
    """The user dictionary without its comment lines (jieba would read them as words)."""
    lines = USER_DICT.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


@functools.cache
def _t2s() -> OpenCC:
    """OpenCC's traditional-to-simplified converter (phrases first, then characters), once a process."""
    return OpenCC("t2s")


# Simplified words in their own right that t2s would still change: kept as written, so that their
# pinyin stays right (乾县 is qián xiàn, not 干县) and they never merge with another word.
_KEEP_AS_WRITTEN = re.compile("乾县|乾陵|於潜|沈思")


def to_simplified(text: str) -> str:
    """Traditional characters to simplified (蘋果 → 苹果, 乾貨 → 干货); simplified text is left as
    it is (乾隆, 沈阳, 蒜薹 stay). The length never changes, so highlights still line up."""
    if text.isascii():
        return text
    converted = _t2s().convert(text)
    if len(converted) != len(text):  # never seen for t2s; highlights rely on positions
        return text
    for match in _KEEP_AS_WRITTEN.finditer(text):
        converted = converted[: match.start()] + match.group() + converted[match.end() :]
    return converted


@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII (ｔｕｄｏｕ, １２), lower case, one kind of space,
    traditional characters to simplified. Cached: a document normalises its name three times
    (words, bigrams, characters)."""
    return to_simplified(unicodedata.normalize("NFKC", text or "").lower())


def english_stem(word: str) -> str:
    """Plural to singular, just enough that "potatoes" finds what "potato" does."""
    if not word.isascii() or len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("oes", "ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "sis")):
        return word[:-1]
    return word


def _clean(token: str) -> list[str]:
    """A segment as index tokens: only letters and digits, ASCII words stemmed."""
    return [english_stem(part) for part in _NON_WORD.split(token) if part]


def _words(text: str, words_of, quantity_parts: bool) -> list[str]:
    """Cleaned words of the text, a quantity (5斤) as one word (and with `quantity_parts` also its
    number and unit), the text between quantities cut into cleaned words by `words_of`."""
    words: list[str] = []
    text = normalise(text)
    position = 0
    for match in _QUANTITY.finditer(text):
        words.extend(words_of(text[position : match.start()]))
        number, unit = match.groups()
        words.append(number + unit)
        if quantity_parts:
            words += [number, unit]
        position = match.end()
    words.extend(words_of(text[position:]))
    return words


def segment(text: str) -> list[str]:
    """Words of a query, in order (jieba's accurate mode)."""
    return _words(text, _query_words, quantity_parts=False)


def _query_words(text: str):
    for piece in _tokenizer().cut(text):
        yield from _clean(piece)


def segment_for_index(text: str) -> list[str]:
    """Words of a text to index (jieba's search mode: long words also give their parts)."""
    return _words(text, _cut_for_index, quantity_parts=True)


def _cut_for_index(text: str):
    """jieba's search mode, each run of word characters segmented once a process: jieba segments
    each run apart from the rest of the text (it splits the text with `re_han_default` first), so a
    run's words are the same wherever it appears. Goods' names and descriptions repeat their phrases
    (产地直发, 当天采摘), and segmenting them was most of the time a rebuild takes."""
    for run in jieba.re_han_default.split(text):
        if run:
            yield from _index_pieces(run)


@functools.lru_cache(maxsize=200_000)
def _index_pieces(run: str) -> tuple[str, ...]:
    """A run's pieces, already cleaned (`_clean` of each piece was the next largest cost)."""
    return tuple(word for piece in _tokenizer().cut_for_search(run) for word in _clean(piece))


def characters(text: str) -> list[str]:
    """The Chinese characters of a text, in order: the unigrams that one-character queries match."""
    return _CJK.findall(normalise(text))


def bigrams(text: str) -> list[str]:
    """Each pair of neighbouring Chinese characters (赣南脐橙: 赣南 南脐 脐橙), as Elasticsearch's
    cjk analyzer makes them: a word segmented differently in a name still matches through them."""
    return [run[i : i + 2] for run in _CJK_RUN.findall(normalise(text)) for i in range(len(run) - 1)]


@functools.lru_cache(maxsize=50_000)
def word_pinyin(word: str) -> tuple[str, ...]:
    """The pinyin tokens of one Chinese word: its syllables, then the whole word, then its initials.
    Syllables come first and in order so that "tu dou" can match as a phrase."""
    if not has_cjk(word):
        return ()
    syllables = [s for s in lazy_pinyin(word, errors="ignore") if s.isascii() and s.isalpha()]
    if not syllables:
        return ()
    initials = "".join(s[0] for s in lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore") if s)
    tokens = list(syllables) if len(syllables) > 1 else []
    tokens.append("".join(syllables))
    if len(syllables) > 1 and initials.isalpha():
        tokens.append(initials)
    # Stemmed like any other ASCII token, so a query's "hbjs" meets the index's.
    return tuple(english_stem(token) for token in tokens)


def pinyin_tokens(text: str) -> list[str]:
    """Pinyin of a text's words in search mode, so the parts of a compound (小土豆) are spelled too."""
    tokens = []
    for word in segment_for_index(text):
        tokens.extend(word_pinyin(word))
    return tokens


# --- Synonyms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Synonyms:
    """Each entry (a word, or a phrase as a tuple of tokens) → every entry of its groups."""

    groups: dict[tuple[str, ...], frozenset[tuple[str, ...]]]
    longest: int
    by_pinyin: dict[str, frozenset[tuple[str, ...]]]

    def lookup(self, phrase: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
        return self.groups.get(phrase, frozenset())


@functools.cache
def synonyms() -> Synonyms:
    groups: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for raw in SYNONYMS.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        entries = {tuple(segment(entry)) for entry in line.split(",")}
        entries.discard(())
        for entry in entries:
            groups.setdefault(entry, set()).update(entries)
    frozen = {entry: frozenset(group) for entry, group in groups.items()}
    by_pinyin: dict[str, set[tuple[str, ...]]] = {}
    for entry, group in frozen.items():
        if len(entry) == 1 and has_cjk(entry[0]) and len(entry[0]) > 1:
            # A synonym spelled in full pinyin ("malingshu") finds 土豆 goods too. Not its initials:
            # "td" stands for too many words to pull in a whole group.
            by_pinyin.setdefault("".join(lazy_pinyin(entry[0])), set()).update(group)
    return Synonyms(
        groups=frozen,
        longest=max((len(entry) for entry in frozen), default=1),
        by_pinyin={key: frozenset(value) for key, value in by_pinyin.items()},
    )


# --- Stop words -------------------------------------------------------------------------------


@functools.cache
def stop_words() -> frozenset[str]:
    """Words that say nothing about the goods (想要, 买点, 的, 正宗, 请问; i, want, the), as segmented."""
    words = set()
    for raw in STOP_WORDS.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            words.add(english_stem(normalise(line)))
    return frozenset(words)


def without_stop_words(words: list[str]) -> list[str]:
    """The words that are not stop words; all of them if every one is (a query of only 的 or "and"
    is searched as typed)."""
    table = stop_words()
    kept = [word for word in words if word not in table]
    return kept or words


# --- Queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word the shopper typed. It matches when any alternative does; an alternative is a
    tuple of tokens that must all be there (one token: a single word; several: the bigrams of a
    Chinese word, or the words of an English phrase). Elasticsearch asks for them as a phrase;
    the database backends, to keep their index exact and fast, only for all of them."""

    text: str
    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False  # the last word while typing: its tokens may be the start of longer ones
    # The alternative that is what was typed (the word itself): only it also matches a document's
    # weak field, so a synonym or the Chinese a pinyin spells never finds goods through a seller's
    # name or an English category name.
    own: tuple[tuple[str, ...], ...] = ()

    @property
    def weak(self) -> bool:
        """A lone character (a particle such as 的 or 点, or a piece of a mistyped word) or a number
        (the 2 of 2斤): found in too many goods to find any by it alone."""
        return len(self.text) == 1 or self.text.isdigit()


def required_terms(count: int) -> int:
    """How many of a query's `count` terms a product must match. One or two words: all of them
    (云南 蜂蜜 is honey from Yunnan, not every Yunnan product). Three or more: all but a third,
    rounded down (3 → 2, 4 → 3, 6 → 4, 12 → 8), so that one word the shop has never heard of
    (会泽土豆 特产) does not empty the result. Every backend ranks by how many terms matched first,
    so goods matching every word still come first; when not even this many match anywhere, the
    backends try again with one term fewer (`AnalysedQuery.relaxed`)."""
    return count if count <= 2 else count - count // 3


@dataclass(frozen=True)
class AnalysedQuery:
    text: str
    terms: tuple[Term, ...]
    minimum: int | None = None  # how many terms must match; None: `required_terms`

    @property
    def required(self) -> int:
        """How many of the terms a product must match to be found."""
        count = len(self.terms)
        return min(count, self.minimum if self.minimum is not None else required_terms(count))

    def relaxed(self) -> "AnalysedQuery | None":
        """The second try of a query that found nothing: one term more may be missing (正宗赣南脐橙:
        正宗 is in no product, 赣南脐橙 is), a compound of the dictionary is its words (奉节脐橙 finds
        脐橙 goods when no goods are from 奉节, `_parts`), and `weak` terms do not count
        (想买点的 must not find every description with a 的). Those matching more still rank
        first. None when there is nothing new to try."""
        kept = [term for term in self.terms if not term.weak]
        terms = tuple(part for term in kept for part in _parts(term))
        # One term more may be missing than before, of the terms as now split: 赣南脐橙 alone may
        # miss 赣南 or 脐橙; weak terms dropped no longer count as missing.
        missing = len(self.terms) - self.required
        minimum = min(len(terms), max(1, len(terms) - missing - 1))
        if not terms or (terms == self.terms and minimum >= self.required):
            return None
        return AnalysedQuery(self.text, terms, minimum=minimum)

    @property
    def is_blank(self) -> bool:
        """Nothing typed: browse everything (with facets)."""
        return not self.text

    @property
    def matches_nothing(self) -> bool:
        """Something typed but nothing searchable in it (only punctuation or emoji)."""
        return bool(self.text) and not self.terms

    def tokens(self) -> set[str]:
        return {token for term in self.terms for alternative in term.alternatives for token in alternative}


class QueryTooLong(ValueError):
    pass


def analyse_query(text: str, *, prefix: bool = False) -> AnalysedQuery:
    """Break what the shopper typed into terms (`required_terms` of them must match), each with
    its alternatives: the word, its bigrams, its synonyms, and for pinyin the Chinese words it spells.
    Stop words are left out (unless there is nothing else).

    With `prefix`, the last term also matches words it is the start of (autocomplete)."""
    cleaned = " ".join(normalise(text).split())
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise QueryTooLong(MAX_QUERY_LENGTH)
    words = without_stop_words(segment(cleaned))
    table = synonyms()
    terms: list[Term] = []
    index = 0
    while index < len(words) and len(terms) < MAX_QUERY_TERMS:
        # The longest run of words that is a synonym entry ("navel orange") is one term.
        span = 1
        for length in range(min(table.longest, len(words) - index), 1, -1):
            if table.lookup(tuple(words[index : index + length])):
                span = length
                break
        phrase = tuple(words[index : index + span])
        index += span
        # A word typed twice is one term: it must not count twice towards `required_terms`
        # (土豆' OR '1'='1 would otherwise be satisfied by any goods holding a 1).
        if all(term.text != " ".join(phrase) for term in terms):
            terms.append(_term(phrase, table))
    if prefix and terms and index >= len(words):
        last = terms[-1]
        terms[-1] = Term(last.text, last.alternatives, prefix=True, own=last.own)
    return AnalysedQuery(text=cleaned, terms=tuple(terms))


def _parts(term: Term) -> tuple[Term, ...]:
    """A Chinese compound of the dictionary (赣南脐橙, 冰糖心苹果) as the words it is made of, the
    longest first and not overlapping, each a term with its own synonyms; any other term as it is."""
    word = term.text
    if term.prefix or len(word) < 4 or not all(is_cjk(char) for char in word):
        return (term,)
    spans = []
    for part in set(_tokenizer().cut_for_search(word)):
        start = word.find(part)
        while len(part) > 1 and part != word and start != -1:
            spans.append((start, -len(part), part))
            start = word.find(part, start + 1)
    chosen, end = [], 0
    for start, negative_length, part in sorted(spans):
        if start >= end:
            chosen.append(part)
            end = start - negative_length
    if len(chosen) < 2:
        return (term,)
    table = synonyms()
    return tuple(_term((part,), table) for part in chosen)


def _term(phrase: tuple[str, ...], table: Synonyms) -> Term:
    alternatives: list[tuple[str, ...]] = []

    def add(alternative: tuple[str, ...]):
        if alternative and alternative not in alternatives:
            alternatives.append(alternative)

    entries = {phrase} | table.lookup(phrase)
    if len(phrase) == 1 and phrase[0].isascii():
        entries |= table.by_pinyin.get(phrase[0], frozenset())
    for entry in sorted(entries, key=lambda e: (e != phrase, e)):
        add(entry)
        if len(entry) == 1 and has_cjk(entry[0]) and len(entry[0]) > 2:
            add(tuple(bigrams(entry[0])))
    return Term(text=" ".join(phrase), alternatives=tuple(alternatives), own=(phrase,))


# --- Near matches -----------------------------------------------------------------------------

# pg_trgm's default `pg_trgm.word_similarity_threshold`: what PostgreSQL's `<%` accepts.
WORD_SIMILARITY_THRESHOLD = 0.6
_WORD = re.compile(r"[^\W_]+")


def trigrams(text: str) -> list[str]:
    """The trigrams of a text in order, as pg_trgm makes them: each word (letters and digits)
    lower-cased and padded with two spaces before and one after ("  tu", " tud", …, "ou ")."""
    found = []
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        found.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def word_similarity(query: str, text: str) -> float:
    """pg_trgm's `word_similarity(query, text)`: the best, over the stretches of `text`'s trigrams
    in order, of shared trigrams / all trigrams of the two (the query's set and the stretch's).
    A typing slip in a word ("tudo" in "… tu dou tudou") scores high where the word is. Computed
    here so that SQLite's second try finds what PostgreSQL's does (tests compare the two)."""
    wanted = set(trigrams(query))
    if not wanted:
        return 0.0
    found = trigrams(text)
    hits = [i for i, trigram in enumerate(found) if trigram in wanted]
    best = 0.0
    for n, low in enumerate(hits):
        for high in hits[n:]:
            stretch = set(found[low : high + 1])
            shared = len(stretch & wanted)
            best = max(best, shared / (len(wanted) + len(stretch) - shared))
    return best
