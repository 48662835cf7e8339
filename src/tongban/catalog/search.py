"""Chinese catalogue search: jieba segmentation, keywords, synonyms, tiered ranking.

A matter's ``search_text`` holds its normalised words (lower-case, NFKC); a
query is segmented the same way, expanded with the synonym table, filtered in
SQL with one substring test per term, and ranked in Python over a few small
columns, so only the page's matters are ever loaded whole.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jieba
from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import Combinable

from tongban.catalog.models import Matter, SearchSynonym, SearchToken, Theme

if TYPE_CHECKING:
    from tongban.catalog.models import MaterialRequirement

USER_DICT = Path(__file__).resolve().parent / "data" / "userdict.txt"
#: The reviewed table of everyday words → catalogue words (see ADR 0004).
SYNONYM_FILE = Path(__file__).resolve().parent / "data" / "synonyms.txt"

#: Words that say nothing about which service is wanted ("我要办理…", "怎么申请…").
_STOP_WORDS_TEXT = """
    的 了 着 过 办 我 我要 我想 要 想 想要 需要 怎么 怎样 怎么样 如何 申请 办理 在 哪里 哪儿 去 到
    什么 哪些 呢 吗 啊 吧 呀 可以 能 能否 一个 个 是 和 与 及 或 或者 给 请问 请 咨询 有 都 等
    流程 手续 需 该 这个 那个 一下 相关 关于 为 对 把 被 从 向 跟 the a an of for to and in on how
    i want apply get my
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

#: Most terms taken from one query; the rest cannot change a ranking that much.
MAX_TERMS = 16

# Tier weights: a word in the name counts far more than one in the keywords,
# which beats a synonym's word, which beats a word found only in the body.
NAME_HIT = 100
KEYWORD_HIT = 40
BODY_HIT = 10
SYNONYM_NAME_HIT = 30
SYNONYM_KEYWORD_HIT = 20
SYNONYM_BODY_HIT = 5
EXACT_NAME_BONUS = 1000
PHRASE_IN_NAME_BONUS = 200
EXACT_KEYWORD_BONUS = 150
#: Most candidate rows ranked for one query (the catalogue holds hundreds to a few thousand).
MAX_CANDIDATES = 2000

_dictionary_lock = threading.Lock()
_dictionary_loaded = False
_SEPARATORS = re.compile(r"[\s,，、;；/|]+")


def _ensure_dictionary() -> None:
    """Load the government-terms user dictionary into jieba once per process."""
    global _dictionary_loaded
    if _dictionary_loaded:
        return
    with _dictionary_lock:
        if not _dictionary_loaded:
            jieba.setLogLevel(logging.WARNING)
            jieba.load_userdict(str(USER_DICT))
            _dictionary_loaded = True


@functools.cache
def file_synonyms() -> dict[str, tuple[str, ...]]:
    """The reviewed synonym table of ``data/synonyms.txt``, read once per process."""
    table: dict[str, tuple[str, ...]] = {}
    for line in SYNONYM_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        term, _sep, expansions = line.partition(":")
        words = tuple(split_keywords(expansions))
        if normalize(term) and words:
            table[normalize(term)] = tuple(_unique([*table.get(normalize(term), ()), *words]))
    return table


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def keywords_normalize(keywords: str) -> str:
    """Keywords as one comma-separated list, whatever separators were typed (，、; spaces)."""
    parts = (unicodedata.normalize("NFKC", p).strip() for p in _SEPARATORS.split(keywords or ""))
    return ",".join(_unique(p for p in parts if p))


def split_keywords(keywords: str) -> list[str]:
    return [k for k in (normalize(p) for p in _SEPARATORS.split(keywords or "")) if k]


def segment(text: str) -> list[str]:
    """Search-mode jieba tokens of ``text``, normalised, without blanks and punctuation."""
    _ensure_dictionary()
    tokens = []
    for token in jieba.cut_for_search(normalize(text)):
        token = token.strip()
        if token and any(ch.isalnum() for ch in token):
            tokens.append(token)
    return tokens


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def build_search_text(
    matter: Matter, materials: Iterable[MaterialRequirement] | None = None
) -> str:
    """Normalised words of a matter's name, keywords, summary, department and materials."""
    if materials is None:
        materials = matter.materials.all() if matter.pk else []
    department = matter.department
    phrases = [
        normalize(matter.name),
        normalize(matter.name_en),
        *split_keywords(matter.keywords),
        normalize(department.name),
    ]
    sources = [
        matter.name,
        matter.keywords,
        matter.summary,
        department.name,
        department.short_name,
        *(m.name for m in materials),
    ]
    tokens: list[str] = []
    for source in sources:
        tokens.extend(t for t in segment(source) if t not in STOP_WORDS)
    tokens.extend(re.findall(r"[a-z0-9]+", normalize(matter.name_en)))
    # Raw phrases first: a multi-word query such as "施工许可" must match the
    # whole name even where jieba splits it differently.
    return " ".join(_unique([*phrases, *tokens]))


def _precise(text: str) -> list[str]:
    _ensure_dictionary()
    return [t.strip() for t in jieba.cut(text) if t.strip() and any(c.isalnum() for c in t)]


def _join_words(words: Iterable[str]) -> str:
    """Join Chinese words without spaces and Latin words with one."""
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[0].isascii():
            out += " "
        out += word
    return out


def search_fields(matter: Matter) -> dict[str, str]:
    """The normalised columns search reads: search_text, search_name, search_keywords."""
    return {
        "search_text": build_search_text(matter),
        "search_name": f"\n{normalize(matter.name)}\n{normalize(matter.name_en)}\n",
        "search_keywords": f",{','.join(split_keywords(matter.keywords))},",
    }


@dataclass(frozen=True)
class ParsedQuery:
    core: str
    terms: list[str]
    synonym_terms: list[str]

    @property
    def all_terms(self) -> list[str]:
        return [*self.terms, *self.synonym_terms]


def parse_query(query: str) -> ParsedQuery:
    """Segment a query, drop function words, and expand it with the synonym table."""
    normalized = normalize(query)
    tokens = _unique(segment(normalized))
    meaningful = [t for t in tokens if t not in STOP_WORDS]
    multi_char = [t for t in meaningful if len(t) > 1]
    # "开饭店" → 饭店; but a query of single characters only ("税") keeps them.
    terms = multi_char or meaningful
    core = _join_words(t for t in _precise(normalized) if t not in STOP_WORDS)
    if not terms and normalized:
        terms = [normalized]
    core = core or normalized
    if core not in terms and len(terms) > 1:
        terms.insert(0, core)
    lookups = _unique([normalized, core, *tokens])
    table = file_synonyms()
    expansions: list[str] = [w for term in lookups for w in table.get(term, ())]
    for synonym in SearchSynonym.objects.filter(term__in=lookups).only("expansions"):
        expansions.extend(split_keywords(synonym.expansions))
    synonym_terms = [t for t in _unique(expansions) if t not in terms]
    terms = terms[:MAX_TERMS]
    synonym_terms = synonym_terms[: max(0, MAX_TERMS - len(terms))]
    return ParsedQuery(core=core, terms=terms, synonym_terms=synonym_terms)


def _term_score(term: str, *, synonym: bool) -> Case:
    """Points for one term: its best tier in this matter (name, keywords, body)."""
    # The search_* columns are normalised (lower case), so a plain LIKE
    # suffices and PostgreSQL need not upper-case every row.
    return Case(
        When(search_name__contains=term, then=Value(SYNONYM_NAME_HIT if synonym else NAME_HIT)),
        When(
            search_keywords__contains=term,
            then=Value(SYNONYM_KEYWORD_HIT if synonym else KEYWORD_HIT),
        ),
        When(search_text__contains=term, then=Value(SYNONYM_BODY_HIT if synonym else BODY_HIT)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _bonus(parsed: ParsedQuery) -> Case:
    core = parsed.core
    phrase = PHRASE_IN_NAME_BONUS if len(parsed.terms) > 1 else 0
    return Case(
        When(search_name__contains=f"\n{core}\n", then=Value(EXACT_NAME_BONUS)),
        When(search_name__contains=core, then=Value(phrase)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _filter_terms(terms: list[str]) -> list[str]:
    """Terms for the candidate filter: a term containing a shorter one adds no rows."""
    return [t for t in terms if not any(u != t and u in t for u in terms)]


def matter_tokens(
    matter: Matter, materials: Iterable[MaterialRequirement] | None = None
) -> dict[str, int]:
    """The inverted-index words of a matter, each with the points a hit on it is worth."""
    if materials is None:
        materials = matter.materials.all() if matter.pk else []
    department = matter.department
    tokens: dict[str, int] = {}

    def add(words: Iterable[str], weight: int) -> None:
        for word in words:
            word = word[:200]
            if word and tokens.get(word, 0) < weight:
                tokens[word] = weight

    name, name_en = normalize(matter.name), normalize(matter.name_en)
    keywords = split_keywords(matter.keywords)
    add([name, name_en, *segment(matter.name)], NAME_HIT)
    add(re.findall(r"[a-z0-9]+", name_en), NAME_HIT)
    add([w for kw in keywords for w in (kw, *segment(kw))], KEYWORD_HIT)
    body = [matter.summary, department.name, department.short_name, *(m.name for m in materials)]
    add([normalize(department.name)], BODY_HIT)
    add((t for text in body for t in segment(text) if t not in STOP_WORDS), BODY_HIT)
    # Marker tokens: a query equal to the whole name or to one keyword.
    add([f"={name}", f"={name_en}"], EXACT_NAME_BONUS)
    add((f"#{kw}" for kw in keywords), EXACT_KEYWORD_BONUS)
    tokens.pop("=", None)
    return tokens


def matter_sort_key(matter: Matter) -> str:
    """The matter's place in catalogue order as one sortable string."""
    return f"{matter.department.order:010d}:{matter.code}"


def search_page(
    lookups: dict[str, Any], query: str, *, offset: int, limit: int
) -> tuple[list[Matter], int]:
    """One page of the matters of ``queryset`` matching ``query``, best first, and the total.

    Whole words go through the inverted index (an indexed lookup per term);
    only when no word matches does search fall back to a substring scan, so
    partial words ("licen", "食品经") still find something.
    """
    parsed = parse_query(query)
    if not parsed.all_terms:
        return [], 0
    # One-character words ("税") hide inside longer tokens (税务, 纳税), so they
    # are looked for as substrings straight away.
    if any(len(t) > 1 for t in parsed.terms):
        found = _token_page(lookups, parsed, offset=offset, limit=limit)
        if found[1]:
            return found
    return _substring_page(Matter.objects.filter(**lookups), parsed, offset=offset, limit=limit)


def _token_page(
    lookups: dict[str, Any], parsed: ParsedQuery, *, offset: int, limit: int
) -> tuple[list[Matter], int]:
    weighted = {
        **{t: 3 for t in parsed.synonym_terms},
        **{t: 10 for t in parsed.terms},
        f"={parsed.core}": 10,
        f"#{parsed.core}": 10,
    }
    # Each query term equals at most one token row of a matter, so summing the
    # matched rows' weights scores each term once, at its best tier.
    score = Sum(
        Case(
            *(When(token=t, then=F("weight") * factor) for t, factor in weighted.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    # Only active matters are indexed; other filters join the matter row.
    related = {f"matter__{k}": v for k, v in lookups.items() if k != "is_active"}
    hits = SearchToken.objects.filter(token__in=list(weighted), **related)
    # A matter matching only a piece of the query (登记 of 结婚登记) is noise once another
    # matches the query whole or one of its other words (企业变更登记 for 结婚登记).
    pieces = {t for t in parsed.terms if t != parsed.core and t in parsed.core}
    whole = Max(
        Case(
            *(When(token=t, then=Value(1)) for t in weighted if t not in pieces),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    # One statement scores and sorts the candidates (narrow rows); they are cut and paged here.
    rows = list(
        hits.values("matter_id", "sort_key")
        .annotate(score=score, whole=whole)
        .order_by("-score", "sort_key")
        .values_list("matter_id", "whole")[:MAX_CANDIDATES]
    )
    if any(is_whole for _pk, is_whole in rows):
        rows = [row for row in rows if row[1]]
    return matters_in_order([pk for pk, _whole in rows[offset : offset + limit]]), len(rows)


def matters_in_order(ids: list[int]) -> list[Matter]:
    """The matters with these ids, with department and section, in the order given."""
    loaded = (
        Matter.objects.select_related("department", "section")
        .defer("search_text", "search_name", "search_keywords")
        .in_bulk(ids)
    )
    return [loaded[i] for i in ids if i in loaded]


def _substring_page(
    queryset: QuerySet[Matter], parsed: ParsedQuery, *, offset: int, limit: int
) -> tuple[list[Matter], int]:
    terms = parsed.all_terms
    original = len(parsed.terms)
    condition = reduce(or_, (Q(search_text__contains=t) for t in _filter_terms(terms)))
    parts: list[Combinable] = [_term_score(t, synonym=i >= original) for i, t in enumerate(terms)]
    parts.append(_bonus(parsed))
    parts.append(
        Case(
            When(search_keywords__contains=f",{parsed.core},", then=Value(EXACT_KEYWORD_BONUS)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    score = reduce(lambda a, b: a + b, parts)
    rows = list(
        queryset.filter(condition)
        .annotate(score=score)
        .order_by("-score", "department__order", "code")
        .values_list("id", flat=True)[:MAX_CANDIDATES]
    )
    return matters_in_order(rows[offset : offset + limit]), len(rows)


# --- themes (一件事) ----------------------------------------------------------------------


def theme_score(parsed: ParsedQuery, *, names: list[str], keywords: list[str]) -> int:
    """Points of one theme for a parsed query; 0 when it does not match.

    A theme is a result only when the query names it: the whole query is its name or one of
    its keywords, or lies inside one, or a synonym of the query is its name or a keyword
    (开饭店 → 开办餐饮店). A shared word (登记, 许可, 公司) alone never lists a theme, so a
    theme ranked first is one the citizen asked for."""
    core = parsed.core
    if core in names:
        return EXACT_NAME_BONUS
    if core in keywords:
        return EXACT_KEYWORD_BONUS + KEYWORD_HIT
    if len(core) > 1 and any(core in name for name in names):
        return PHRASE_IN_NAME_BONUS
    if len(core) > 1 and any(core in kw for kw in keywords):
        return EXACT_KEYWORD_BONUS
    if any(term in names or term in keywords for term in parsed.synonym_terms):
        return SYNONYM_NAME_HIT
    return 0


def theme_search(
    query: str, *, audience: str | None = None, section_id: int | None = None
) -> list[Theme]:
    """Active themes the query names, best first (one query over the few themes)."""
    parsed = parse_query(query)
    if not parsed.all_terms:
        return []
    themes = Theme.objects.filter(is_active=True).select_related("section")
    if audience:
        themes = themes.filter(audience__in=sorted({audience, "both"}))
    if section_id:
        themes = themes.filter(section_id=section_id)
    loaded = list(themes.order_by("order", "code"))
    if not loaded:
        return []
    scored = []
    for theme in loaded:
        names = [n for n in (normalize(theme.name), normalize(theme.name_en)) if n]
        points = theme_score(parsed, names=names, keywords=split_keywords(theme.keywords))
        if points:
            scored.append((points, theme.order, theme.code, theme))
    scored.sort(key=lambda row: (-row[0], row[1], row[2]))
    if not scored:
        return []
    return [row[3] for row in scored]


# --- result cache ---------------------------------------------------------------------------

GENERATION_KEY = "tongban:catalog:search-generation"


def search_cache_invalidate() -> None:
    """Forget cached search pages (called after every catalogue change commits)."""
    if settings.CATALOG_SEARCH_CACHE_SECONDS:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def search_cache_key(*parts: object) -> str | None:
    """A cache key for one search page under the current catalogue generation, or None when off."""
    if not settings.CATALOG_SEARCH_CACHE_SECONDS:
        return None
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(GENERATION_KEY, generation, None)
        generation = cache.get(GENERATION_KEY, generation)
    digest = hashlib.sha256(repr((generation, *parts)).encode()).hexdigest()
    return f"tongban:catalog:search:{digest}"
