"""Text analysis and highlighting, the parts every backend shares: segmentation with our user
dictionary, pinyin, synonyms, how a query breaks into terms, and the HTML of highlights. No
database: these are the rules the behaviour suite relies on, checked one by one."""

import html
import re

import pytest

from search import analysis
from search.analysis import (
    MAX_QUERY_LENGTH,
    MAX_QUERY_TERMS,
    QueryTooLong,
    analyse_query,
    bigrams,
    characters,
    english_stem,
    normalise,
    pinyin_tokens,
    segment,
    segment_for_index,
    stop_words,
    synonyms,
    to_simplified,
    word_pinyin,
)
from search.highlight import SNIPPET_LENGTH, highlight, highlights


def alternatives(text: str, **options) -> list[set[tuple[str, ...]]]:
    return [set(term.alternatives) for term in analyse_query(text, **options).terms]


# --- Segmentation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["冰糖心", "赣南脐橙", "猕猴桃", "马铃薯", "洋芋", "土蜂蜜", "大凉山"])
def test_the_user_dictionary_keeps_produce_and_place_names_whole(word):
    assert segment(word) == [word]


def test_a_long_word_also_gives_its_parts_when_indexed():
    words = segment_for_index("冰糖心苹果")
    assert {"冰糖心苹果", "冰糖心", "苹果"} <= set(words)
    assert segment("冰糖心苹果") == ["冰糖心苹果"]


@pytest.mark.parametrize(
    "text",
    [
        "产自云南省会泽县。高山上种的黄心土豆，沙糯可口；当天采摘当天发货，冷链直达。",
        "云南 土豆 5斤装！ Navel-Oranges 100% 有机…赣南脐橙、冰糖心苹果。",
        "ｔｕｄｏｕ１２　秭归脐橙礼盒10斤",
        "",
    ],
)
def test_indexed_words_are_jieba_search_mode_over_the_whole_text_seen_before_or_not(text):
    def jieba_words(part):
        return [word for piece in analysis._tokenizer().cut_for_search(part) for word in analysis._clean(piece)]

    whole = analysis._words(text, jieba_words, quantity_parts=True)

    assert segment_for_index(text) == whole
    assert segment_for_index(text) == whole  # its phrases now kept


def test_words_apart_do_not_make_a_dictionary_word():
    """冰糖橙 贴心礼盒: 冰糖 and 心 both occur, 冰糖心 does not."""
    text = "麻阳冰糖橙 贴心礼盒装"
    assert "冰糖心" not in segment_for_index(text)
    assert "冰糖心" not in "".join(characters(text))


def test_the_user_dictionary_file_is_read_without_its_comments():
    lines = analysis._user_dict_lines()
    assert lines, "the user dictionary is empty"
    for line in lines:
        word, frequency, *rest = line.split()
        assert not word.startswith("#")
        assert frequency.isdigit(), line
        assert len(rest) <= 1, line


def test_segments_are_letters_and_digits_only():
    assert segment("土豆！！ 10斤，(包邮)") == ["土豆", "10斤", "包邮"]  # a quantity is one word
    assert segment("'; DROP TABLE x; --") == ["drop", "table", "x"]
    assert segment("🍊🍎") == []
    assert segment("a_b") == ["a", "b"]


def test_normalise_turns_full_width_into_ascii_and_lowers_case():
    assert normalise("ＴＵＤＯＵ １２３") == "tudou 123"
    assert normalise("Navel Oranges") == "navel oranges"
    assert normalise(None) == ""


def test_characters_are_the_chinese_characters_in_order():
    assert characters("赣南 Navel 脐橙 10斤！") == ["赣", "南", "脐", "橙", "斤"]


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("potatoes", "potato"),
        ("tomatoes", "tomato"),
        ("oranges", "orange"),
        ("kiwis", "kiwi"),
        ("berries", "berry"),
        ("peaches", "peach"),
        ("dishes", "dish"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("glass", "glass"),
        ("citrus", "citrus"),
        ("asparagus", "asparagus"),
        ("kiwi", "kiwi"),
        ("yes", "yes"),  # three letters: left alone
        ("100s", "100s"),
        ("土豆s", "土豆s"),
    ],
)
def test_english_stem_takes_plurals_to_the_singular(word, stem):
    assert english_stem(word) == stem


def test_an_english_word_and_its_plural_index_alike():
    assert segment("Fresh Potatoes") == segment("fresh potato") == ["fresh", "potato"]


# --- Pinyin ---------------------------------------------------------------------------------------


def test_word_pinyin_gives_syllables_the_word_and_its_initials():
    assert word_pinyin("土豆") == ("tu", "dou", "tudou", "td")
    assert set(word_pinyin("马铃薯")) >= {"ma", "ling", "shu", "malingshu", "mls"}


def test_one_character_has_its_syllable_only_and_non_chinese_has_none():
    assert word_pinyin("橙") == ("cheng",)
    assert word_pinyin("apple") == ()
    assert word_pinyin("10") == ()


def test_pinyin_tokens_of_a_text():
    tokens = pinyin_tokens("云南土豆 10斤")
    assert {"yunnan", "yn", "tudou", "td", "tu", "dou"} <= set(tokens)
    assert all(token.isascii() and token.isalpha() for token in tokens)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("小土豆", {"tudou", "td"}),  # "tud…" and "td" must reach 小土豆 as they reach 土豆
        ("红心猕猴桃", {"mihoutao", "mht"}),  # "mihou…" must reach 红心猕猴桃
        ("冰糖心苹果", {"bingtangxin", "pingguo"}),
    ],
)
def test_pinyin_of_a_long_word_includes_the_pinyin_of_its_words(text, expected):
    """The index's pinyin must cover the words a shopper types, like the title's words do:
    a compound word (one word in jieba's accurate mode) also yields its parts' pinyin."""
    assert expected <= set(pinyin_tokens(text))


# --- Synonyms -------------------------------------------------------------------------------------


def test_every_synonym_group_is_symmetric():
    table = synonyms()
    assert table.groups, "no synonyms loaded"
    for entry, group in table.groups.items():
        assert entry in group
        for other in group:
            assert entry in table.lookup(other), f"{other} → … but not → {entry}"


def test_every_line_of_the_synonyms_file_is_one_group():
    for raw in analysis.SYNONYMS.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        entries = [tuple(segment(entry)) for entry in line.split(",")]
        assert all(entries), f"an empty entry in {line!r}"
        for entry in entries:
            assert set(entries) <= synonyms().lookup(entry), line


def test_the_synonyms_file_writes_english_in_lower_case():
    for raw in analysis.SYNONYMS.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0]
        assert line == line.lower(), raw


@pytest.mark.parametrize(
    ("word", "synonym"),
    [
        (("土豆",), ("马铃薯",)),
        (("马铃薯",), ("洋芋",)),
        (("地瓜",), ("红薯",)),
        (("番薯",), ("地瓜",)),
        (("navel", "orange"), ("脐橙",)),
        (("sweet", "potato"), ("红薯",)),
        (("potato",), ("土豆",)),
    ],
)
def test_synonyms_of_produce(word, synonym):
    assert synonym in synonyms().lookup(word)
    assert word in synonyms().lookup(synonym)


def test_a_synonym_spelled_in_pinyin_finds_the_chinese_group():
    assert ("土豆",) in synonyms().by_pinyin["malingshu"]
    assert ("马铃薯",) in synonyms().by_pinyin["tudou"]


# --- Queries --------------------------------------------------------------------------------------


def test_a_chinese_word_is_one_term_with_its_bigrams_and_synonyms():
    (term,) = analyse_query("土豆").terms
    assert term.alternatives[0] == ("土豆",), "the word as typed comes first"
    assert {("马铃薯",), ("马铃", "铃薯"), ("洋芋",), ("potato",)} <= set(term.alternatives)
    assert not term.prefix
    (term,) = analyse_query("冰糖心").terms
    assert term.alternatives == (("冰糖心",), ("冰糖", "糖心"))


def test_bigrams_are_neighbouring_chinese_characters_within_a_run():
    assert bigrams("赣南脐橙 Navel 冰糖心10斤") == ["赣南", "南脐", "脐橙", "冰糖", "糖心"]
    assert bigrams("橙") == []


def test_words_apart_are_terms_that_must_all_match():
    query = analyse_query("云南 土豆")
    assert [term.text for term in query.terms] == ["云南", "土豆"]


def test_an_english_synonym_phrase_is_one_term():
    (term,) = analyse_query("navel orange").terms
    assert ("navel", "orange") in term.alternatives
    assert ("脐橙",) in term.alternatives
    assert alternatives("Navel Oranges") == alternatives("navel orange")


def test_pinyin_spells_the_chinese_words():
    (term,) = analyse_query("tudou").terms
    assert ("tudou",) in term.alternatives
    assert ("土豆",) in term.alternatives
    assert alternatives("ＴＵＤＯＵ") == alternatives("tudou")


def test_a_dictionary_word_is_not_broken_into_its_parts():
    (term,) = analyse_query("冰糖心").terms
    assert ("冰糖心",) in term.alternatives
    assert ("冰糖",) not in term.alternatives  # 冰糖 alone would find 冰糖橙


def test_only_the_last_term_is_a_prefix_while_typing():
    query = analyse_query("赣南 qi", prefix=True)
    assert [term.prefix for term in query.terms] == [False, True]
    assert not any(term.prefix for term in analyse_query("赣南 qi").terms)


def test_blank_and_nothing_to_search():
    assert analyse_query("").is_blank
    assert analyse_query(" \t\n ").is_blank
    for text in ["!!!", "🍊🍎", "%", "_", "*:*", '"', "()", "\x00"]:
        query = analyse_query(text)
        assert not query.is_blank and query.matches_nothing, repr(text)
    assert not analyse_query("土豆").matches_nothing


def test_a_query_over_the_limit_is_refused_not_cut():
    analyse_query("土" * MAX_QUERY_LENGTH)
    analyse_query("  " + "土" * MAX_QUERY_LENGTH + "  ")  # spaces around do not count
    with pytest.raises(QueryTooLong):
        analyse_query("土" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(QueryTooLong):
        analyse_query("土豆" * 500)


def test_many_words_are_capped():
    words = " ".join(f"w{n}" for n in range(MAX_QUERY_TERMS + 8))
    assert len(analyse_query(words).terms) == MAX_QUERY_TERMS


def test_query_tokens_are_only_letters_and_digits():
    """Whatever is typed, what reaches an engine is words: no quotes, operators or SQL."""
    for text in ["'; DROP TABLE search_entry; --", 'name:"土豆" AND (红薯 OR *)', "土豆^2~ -x", "a\x00b\x1b[31m"]:
        for token in analyse_query(text).tokens():
            assert re.fullmatch(r"\w+", token) and "_" not in token, (text, token)


# --- Traditional characters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("蘋果", "苹果"),
        ("獼猴桃", "猕猴桃"),
        ("臍橙", "脐橙"),
        ("贛南臍橙", "赣南脐橙"),
        ("馬鈴薯", "马铃薯"),
        ("乾貨", "干货"),  # 乾 is 干 (dry) in traditional text…
        ("頭髮", "头发"),
        ("麵粉", "面粉"),
        ("雲南會澤", "云南会泽"),
    ],
)
def test_traditional_characters_become_simplified(traditional, simplified):
    assert to_simplified(traditional) == simplified
    assert normalise(traditional) == simplified
    assert segment(traditional) == segment(simplified)
    assert analyse_query(traditional).tokens() == analyse_query(simplified).tokens()


@pytest.mark.parametrize("text", ["乾隆", "乾县苹果", "於潜", "沈阳", "蒜薹", "于都县", "苹果 10斤装", "面条", "头发"])
def test_simplified_text_is_left_as_written(text):
    """…but simplified words that only look traditional keep their characters (and their pinyin:
    乾县 is qián xiàn)."""
    assert to_simplified(text) == text


def test_conversion_keeps_the_length_so_highlights_line_up():
    text = "臺灣客人也愛吃的脆甜蘋果。Apple 123"
    assert len(normalise(text)) == len(text)


def test_a_traditional_name_is_indexed_as_the_simplified_one():
    assert segment_for_index("高山蘋果 禮盒裝") == segment_for_index("高山苹果 礼盒装")
    assert pinyin_tokens("獼猴桃") == pinyin_tokens("猕猴桃")


# --- Quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5斤", ["5斤"]),
        ("5 斤", ["5斤"]),
        ("5斤装", ["5斤"]),
        ("250克袋装", ["250克", "袋装"]),
        ("12个装", ["12个"]),
        ("1KG", ["1kg"]),
        ("２斤", ["2斤"]),
        ("2.5千克", ["2", "5", "千克"]),  # not 5千克
        ("烟薯25号", ["烟薯", "25", "号"]),  # 号 is no unit
    ],
)
def test_a_quantity_is_one_word_of_a_query(text, words):
    assert segment(text) == words


def test_the_index_keeps_a_quantitys_number_and_unit_too():
    assert segment_for_index("10斤装") == ["10斤", "10", "斤"]
    assert {"5斤", "5", "斤"} <= set(segment_for_index("赣南脐橙礼盒 5斤"))


# --- Stop words ---------------------------------------------------------------------------------


def test_stop_words_are_left_out_of_a_query():
    query = analyse_query("想买点正宗的赣南脐橙")
    assert [term.text for term in query.terms] == ["赣南脐橙"]
    assert [term.text for term in analyse_query("请问有没有蜂蜜").terms] == ["蜂蜜"]
    assert [term.text for term in analyse_query("I want some honey").terms] == ["honey"]


def test_words_of_goods_names_are_not_stop_words():
    """新鲜 is half of 新鲜现摘, 农家 a word of many names, 土特产 a category: a shopper may mean them."""
    assert [term.text for term in analyse_query("新鲜苹果").terms] == ["新鲜", "苹果"]
    for word in ("新鲜", "农家", "土特产", "包邮", "fresh"):
        assert word not in stop_words()


def test_a_query_of_only_stop_words_is_kept_as_typed():
    assert [term.text for term in analyse_query("的").terms] == ["的"]
    assert [term.text for term in analyse_query("and").terms] == ["and"]


def test_every_stop_word_is_one_word_as_a_query_is_segmented():
    """A line jieba splits in two could never match a word of a query."""
    assert stop_words(), "no stop words loaded"
    for word in stop_words():
        assert segment(word) == [word], word


def test_stop_words_are_dropped_before_the_cap_on_terms():
    words = "的 " * 20 + " ".join(f"w{n}" for n in range(MAX_QUERY_TERMS))
    assert len(analyse_query(words).terms) == MAX_QUERY_TERMS
    assert all(term.text != "的" for term in analyse_query(words).terms)


# --- What may match the weak field --------------------------------------------------------------


def test_only_the_word_as_typed_may_match_the_weak_field():
    (term,) = analyse_query("tudou").terms
    assert term.own == (("tudou",),)
    assert ("potato",) in term.alternatives and ("potato",) not in term.own
    (term,) = analyse_query("navel oranges").terms
    assert term.own == (("navel", "orange"),)
    (term,) = analyse_query("冰糖心", prefix=True).terms
    assert term.prefix and term.own == (("冰糖心",),)


# --- Highlights -----------------------------------------------------------------------------------


def test_the_matched_word_is_marked():
    assert highlight("云南会泽土豆 黄心", analyse_query("土豆")) == "云南会泽<mark>土豆</mark> 黄心"


def test_pinyin_marks_the_chinese_word():
    assert highlight("云南会泽土豆 黄心", analyse_query("tudou")) == "云南会泽<mark>土豆</mark> 黄心"


def test_a_synonym_is_marked():
    assert highlight("定西马铃薯 20斤", analyse_query("土豆")) == "定西<mark>马铃薯</mark> 20斤"


def test_english_words_are_marked_whole_and_in_any_form():
    assert highlight("Fresh Potatoes", analyse_query("potato")) == "Fresh <mark>Potatoes</mark>"
    assert highlight("a spear and a pear", analyse_query("pear")) == "a spear and a <mark>pear</mark>"


def test_a_prefix_marks_the_word_being_typed():
    assert highlight("赣南脐橙 10斤", analyse_query("gann", prefix=True)) == "<mark>赣南脐橙</mark> 10斤"


def test_overlapping_matches_make_one_mark():
    assert highlight("小土豆", analyse_query("小土豆 土豆")) == "<mark>小土豆</mark>"


def test_everything_but_the_marks_is_escaped():
    text = "<b>土豆</b> & \"洋芋\" 'x'"
    marked = highlight(text, analyse_query("土豆"))
    assert marked == "&lt;b&gt;<mark>土豆</mark>&lt;/b&gt; &amp; &quot;<mark>洋芋</mark>&quot; &#x27;x&#x27;"
    assert html.unescape(re.sub(r"</?mark>", "", marked)) == text


def test_a_text_that_changes_length_when_normalised_is_still_marked_in_place():
    assert highlight("ﬁne 土豆", analyse_query("土豆")) == "ﬁne <mark>土豆</mark>"


def test_nothing_matched_gives_no_highlight():
    assert highlight("赣南脐橙", analyse_query("土豆")) is None
    assert highlight("", analyse_query("土豆")) is None
    assert highlight("赣南脐橙", analyse_query("!!!")) is None


def visible_text(marked: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", marked))


def test_a_long_description_gives_a_snippet_around_the_first_match():
    text = "山" * 150 + "土豆" + "水" * 150
    snippet = highlight(text, analyse_query("土豆"), snippet=True)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>土豆</mark>" in snippet
    assert len(visible_text(snippet).strip("…")) <= SNIPPET_LENGTH
    assert visible_text(snippet).strip("…") in text


def test_a_snippet_at_the_start_has_no_leading_ellipsis():
    text = "土豆" + "。" * 200
    snippet = highlight(text, analyse_query("土豆"), snippet=True)
    assert snippet.startswith("<mark>土豆</mark>") and snippet.endswith("…")
    short = highlight("高原土豆，沙糯。", analyse_query("土豆"), snippet=True)
    assert short == "高原<mark>土豆</mark>，沙糯。"


def test_a_snippet_is_escaped_too():
    text = "<script>alert(1)</script>" * 10 + "土豆" + "<i>" * 30
    snippet = highlight(text, analyse_query("土豆"), snippet=True)
    assert "<script>" not in snippet and "<i>" not in snippet
    assert "<mark>土豆</mark>" in snippet


def test_highlights_of_a_hit_give_only_the_fields_that_matched():
    query = analyse_query("土豆")
    assert highlights({"name": "十八洞腊肉", "description": "和土豆一起炖"}, query) == {
        "description": "和<mark>土豆</mark>一起炖"
    }
    assert highlights({"name": "云南土豆", "description": ""}, query) == {"name": "云南<mark>土豆</mark>"}
    assert highlights({"name": "腊肉"}, query) == {}


def test_a_word_typed_twice_is_one_term():
    """Else it would count twice towards the words a product must hold."""
    assert [term.text for term in analyse_query("土豆 1 1 土豆").terms] == ["土豆", "1"]


def test_the_second_try_reads_a_compound_as_its_words():
    """赣南脐橙 is one word of the dictionary: when no goods hold it, 赣南 or 脐橙 will do."""
    relaxed = analyse_query("想买点正宗的赣南脐橙").relaxed()
    assert [term.text for term in relaxed.terms] == ["赣南", "脐橙"]
    assert relaxed.required == 1
    assert [term.text for term in analyse_query("冰糖心苹果").relaxed().terms] == ["冰糖心", "苹果"]
    # Words typed apart keep their rule: one more may be missing.
    assert analyse_query("奉节脐橙 云南 蜂蜜").relaxed().required == 2
