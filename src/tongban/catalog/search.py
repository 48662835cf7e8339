"""Chinese catalogue search: jieba segmentation, keywords, synonyms, tiered ranking.

A matter's words are in the ``SearchToken`` index (and its normalised ``search_*`` columns for
the substring fallback); a query is segmented the same way, expanded with the synonym table,
parsed once per request, and scored, sorted and cut in one SQL statement. The statements are
SQL text with ``%s`` parameters, built once per shape (number of terms, filters) and process:
compiling the same two large ``CASE`` expressions through the ORM on every request cost several
times the query itself (ADR 0004). Only the page's matters are loaded, with the columns a result
list shows.
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jieba
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Field, Model

from tongban.catalog.models import (
    Department,
    Matter,
    SearchSynonym,
    SearchToken,
    Section,
    Theme,
)
from tongban.core.dbcursor import statement_cursor

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


def _synonym_rows(terms: list[str]) -> list[str]:
    """The expansions of the SearchSynonym rows of these terms, in the table's order.

    With the result cache on, the (small) table is read once per catalogue generation and
    cache period, as the cached result pages are; otherwise one query per search.
    """
    if not terms:
        return []
    table, term = _table(SearchSynonym), _column(SearchSynonym, "term")
    expansions = _column(SearchSynonym, "expansions")
    sql = f"SELECT {term}, {expansions} FROM {table}"  # noqa: S608 - names from the model
    key = search_cache_key("synonyms")
    rows = cache.get(key) if key else None
    if rows is None:
        marks = ", ".join(["%s"] * len(terms))
        with statement_cursor(connection) as cursor:
            if key:
                cursor.execute(sql)
            else:
                cursor.execute(f"{sql} WHERE {term} IN ({marks})", terms)
            rows = cursor.fetchall()
        if key:
            cache.set(key, rows, settings.CATALOG_SEARCH_CACHE_SECONDS)
    wanted = set(terms)
    return [found for name, found in rows if name in wanted]


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
    for synonym in _synonym_rows(lookups):
        expansions.extend(split_keywords(synonym))
    synonym_terms = [t for t in _unique(expansions) if t not in terms]
    terms = terms[:MAX_TERMS]
    synonym_terms = synonym_terms[: max(0, MAX_TERMS - len(terms))]
    return ParsedQuery(core=core, terms=terms, synonym_terms=synonym_terms)


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
    lookups: dict[str, Any], parsed: ParsedQuery, *, offset: int, limit: int
) -> tuple[list[Matter], int]:
    """One page of the matters matching ``lookups`` and the parsed query, best first, and the total.

    Whole words go through the inverted index (an indexed lookup per term);
    only when no word matches does search fall back to a substring scan, so
    partial words ("licen", "食品经") still find something.
    """
    if not parsed.all_terms:
        return [], 0
    filters = _filters(lookups)
    # One-character words ("税") hide inside longer tokens (税务, 纳税), so they
    # are looked for as substrings straight away.
    if any(len(t) > 1 for t in parsed.terms):
        found = _token_page(filters, parsed, offset=offset, limit=limit)
        if found[1]:
            return found
    return _substring_page(filters, parsed, offset=offset, limit=limit)


# --- the scoring statements, as SQL text built once per shape ----------------------------------

#: The matter lookups search accepts (``selectors.matter_search`` builds them) → column, operator.
_LOOKUPS: dict[str, tuple[str, str]] = {
    "is_active": ("is_active", "="),
    "audience__in": ("audience", "IN"),
    "section_id": ("section", "="),
    "department_id": ("department", "="),
    "online_depth": ("online_depth", "="),
}


@dataclass(frozen=True)
class _Filters:
    """The lookups as a statement shape (lookup, number of values) and the values of each."""

    shape: tuple[tuple[str, int], ...]
    values: tuple[tuple[Any, ...], ...]

    def params(self, *, matter_join: bool = False) -> list[Any]:
        """The values in shape order (only those on the joined matter row with ``matter_join``)."""
        return [
            value
            for (name, _count), values in zip(self.shape, self.values, strict=True)
            if not (matter_join and name == "is_active")
            for value in values
        ]


def _filters(lookups: dict[str, Any]) -> _Filters:
    shape: list[tuple[str, int]] = []
    values: list[tuple[Any, ...]] = []
    for name in sorted(lookups):
        if name not in _LOOKUPS:
            raise ValueError(f"search cannot filter by {name!r}")
        value = lookups[name]
        found = tuple(value) if _LOOKUPS[name][1] == "IN" else (value,)
        shape.append((name, len(found)))
        values.append(found)
    return _Filters(shape=tuple(shape), values=tuple(values))


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return connection.ops.quote_name(field.column)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _where_filters(alias: str, shape: tuple[tuple[str, int], ...]) -> list[str]:
    """SQL conditions on the matter row ``alias`` for a filter shape (values are parameters)."""
    conditions = []
    for name, count in shape:
        field, operator = _LOOKUPS[name]
        column = f"{alias}.{_column(Matter, field)}"
        if operator == "IN":
            # An empty IN list matches nothing, as the ORM's audience__in=[] does.
            marks = ", ".join(["%s"] * count)
            conditions.append(f"{column} IN ({marks})" if count else "1 = 0")
        else:
            conditions.append(f"{column} = %s")
    return conditions


@functools.lru_cache(maxsize=512)
def _token_sql(vendor: str, weighted: int, whole: int, shape: tuple[tuple[str, int], ...]) -> str:
    """Score, sort and cut the candidates of ``weighted`` query tokens in one statement.

    Parameters, in order: (token, factor) per weighted token, the ``whole`` tokens, the weighted
    tokens again (the IN list), the filter values, the row limit. Names come from the models.
    """
    token, weight = _column(SearchToken, "token"), _column(SearchToken, "weight")
    matter_id, sort_key = _column(SearchToken, "matter"), _column(SearchToken, "sort_key")
    # Each query term equals at most one token row of a matter, so summing the
    # matched rows' weights scores each term once, at its best tier.
    score = " ".join([f"WHEN t.{token} = %s THEN t.{weight} * %s"] * weighted)
    is_whole = " ".join([f"WHEN t.{token} = %s THEN 1"] * whole)
    marks = ", ".join(["%s"] * weighted)
    # Only active matters are indexed; other filters join the matter row.
    related = [(name, count) for name, count in shape if name != "is_active"]
    join = (
        f" INNER JOIN {_table(Matter)} m ON m.{_column(Matter, 'id')} = t.{matter_id}"
        if related
        else ""
    )
    where = " AND ".join([f"t.{token} IN ({marks})", *_where_filters("m", tuple(related))])
    return (
        f"SELECT t.{matter_id},"  # noqa: S608 - names from the models, values are parameters
        f" SUM(CASE {score} ELSE 0 END) AS score,"
        f" MAX({f'CASE {is_whole} ELSE 0 END' if whole else '0'}) AS whole"
        f" FROM {_table(SearchToken)} t{join}"
        f" WHERE {where}"
        f" GROUP BY t.{matter_id}, t.{sort_key}"
        f" ORDER BY score DESC, t.{sort_key} ASC"
        " LIMIT %s"
    )


def _token_page(
    filters: _Filters, parsed: ParsedQuery, *, offset: int, limit: int
) -> tuple[list[Matter], int]:
    weighted = {
        **{t: 3 for t in parsed.synonym_terms},
        **{t: 10 for t in parsed.terms},
        f"={parsed.core}": 10,
        f"#{parsed.core}": 10,
    }
    # A matter matching only a piece of the query (登记 of 结婚登记) is noise once another
    # matches the query whole or one of its other words (企业变更登记 for 结婚登记).
    pieces = {t for t in parsed.terms if t != parsed.core and t in parsed.core}
    whole = [t for t in weighted if t not in pieces]
    params: list[Any] = [x for pair in weighted.items() for x in pair]
    params += [*whole, *weighted, *filters.params(matter_join=True), MAX_CANDIDATES]
    sql = _token_sql(connection.vendor, len(weighted), len(whole), filters.shape)
    # One statement scores and sorts the candidates (narrow rows); they are cut and paged here.
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = [(pk, is_whole) for pk, _score, is_whole in cursor.fetchall()]
    if any(is_whole for _pk, is_whole in rows):
        rows = [row for row in rows if row[1]]
    return matters_in_order([pk for pk, _whole in rows[offset : offset + limit]]), len(rows)


# --- rows to model instances, without the ORM's per-request compilation ----------------------


def _attnames(model: type[Model], names: tuple[str, ...]) -> tuple[str, ...]:
    """The attnames of these fields (``department`` → ``department_id``) in the model's order."""
    wanted = {model._meta.get_field(name).attname for name in names}  # type: ignore[union-attr]
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


class _Rows:
    """Instances of ``model`` with a few columns and their to-one relations, from one statement.

    The SELECT is SQL text built once per process; each value passes through the converters
    the ORM would apply (SQLite's booleans, JSON …), and each row becomes instances through
    ``Model.from_db`` (the fields left out are deferred: they load on access, as with
    ``.only()``), with the related rows set on the foreign keys.
    """

    def __init__(
        self,
        model: type[Model],
        columns: tuple[str, ...],
        related: tuple[tuple[str, type[Model], tuple[str, ...]], ...] = (),
    ) -> None:
        # Model.from_db takes the loaded fields' attnames, values in the model's field order.
        self.model, self.columns = model, _attnames(model, columns)
        self.related = tuple((fk, m, _attnames(m, names)) for fk, m, names in related)

    def _fields(self) -> list[tuple[str, Field[Any, Any]]]:
        parts = [("a", self.model, self.columns)]
        parts += [(f"r{i}", model, columns) for i, (_fk, model, columns) in enumerate(self.related)]
        by_attname = {}
        for model in {self.model, *(m for _fk, m, _c in self.related)}:
            by_attname[model] = {f.attname: f for f in model._meta.concrete_fields}
        return [
            (alias, by_attname[model][name]) for alias, model, columns in parts for name in columns
        ]

    @functools.cached_property
    def _plan(self) -> tuple[str, list[tuple[list[Any], Any]]]:
        fields = self._fields()
        select = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for alias, f in fields)
        joins = "".join(
            f" INNER JOIN {_table(model)} r{i}"
            f" ON r{i}.{_column(model, 'id')} = a.{_column(self.model, fk)}"
            for i, (fk, model, _columns) in enumerate(self.related)
        )
        # What the ORM's compiler would apply to each column: the backend's converters, then
        # the field's own from_db_value.
        converters = []
        for alias, field in fields:
            col = field.get_col(alias)
            chain = list(connection.ops.get_db_converters(col))
            if hasattr(field, "from_db_value"):
                chain.append(field.from_db_value)
            converters.append((chain, col))
        sql = f"SELECT {select} FROM {_table(self.model)} a{joins}"  # noqa: S608 - model names
        return sql, converters

    def select(self, where: str, params: list[Any]) -> list[Any]:
        """The instances of the rows matching ``where`` (SQL on alias ``a``, ``%s`` parameters)."""
        sql, converters = self._plan
        with statement_cursor(connection) as cursor:
            cursor.execute(f"{sql} WHERE {where}", params)
            rows = cursor.fetchall()
        out = []
        width = len(self.columns)
        for row in rows:
            values = list(row)
            for i, (chain, col) in enumerate(converters):
                for converter in chain:
                    values[i] = converter(values[i], col, connection)
            obj = self.model.from_db(connection.alias, list(self.columns), values[:width])
            at = width
            for fk, model, columns in self.related:
                end = at + len(columns)
                setattr(obj, fk, model.from_db(connection.alias, list(columns), values[at:end]))
                at = end
            out.append(obj)
        return out


#: What a result list shows (API summary, portal lists, the counter's choices): the page's
#: matters are loaded without their guide texts, form schema and process parameters.
_MATTER_ROWS = _Rows(
    Matter,
    (
        "id",
        "code",
        "name",
        "name_en",
        "kind",
        "audience",
        "summary",
        "summary_en",
        "online_depth",
        "max_visits",
        "legal_limit_days",
        "promised_limit_days",
        "commitment_eligible",
        "is_active",
        "department",
        "section",
    ),
    (
        ("department", Department, ("id", "code", "name", "name_en", "short_name", "order")),
        ("section", Section, ("id", "code", "name", "name_en", "order")),
    ),
)
_THEME_ROWS = _Rows(
    Theme,
    (
        "id",
        "code",
        "name",
        "name_en",
        "summary",
        "summary_en",
        "audience",
        "section",
        "promised_limit_days",
        "max_visits",
        "keywords",
        "is_active",
        "order",
    ),
    (("section", Section, ("id", "code", "name", "name_en", "order")),),
)


def matters_in_order(ids: list[int]) -> list[Matter]:
    """The matters with these ids, with department and section, in the order given (one query)."""
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    loaded = {m.pk: m for m in _MATTER_ROWS.select(f"a.{_column(Matter, 'id')} IN ({marks})", ids)}
    return [loaded[i] for i in ids if i in loaded]


@functools.lru_cache(maxsize=512)
def _substring_sql(
    vendor: str, terms: int, filter_terms: int, shape: tuple[tuple[str, int], ...]
) -> str:
    """The substring fallback: every matter whose words contain a term, scored by tier.

    Parameters, in order: per term (name pattern, points, keywords pattern, points, body
    pattern, points), the two name-bonus patterns and points, the exact-keyword pattern and
    points, the filter values, one body pattern per filter term, the row limit.
    """
    like = connection.operators["contains"]  # the ORM's own `contains` (escaping, case rule)
    name, keywords, text = (
        f"m.{_column(Matter, c)}" for c in ("search_name", "search_keywords", "search_text")
    )
    tier = (
        f"CASE WHEN {name} {like} THEN %s WHEN {keywords} {like} THEN %s"
        f" WHEN {text} {like} THEN %s ELSE 0 END"
    )
    parts = [tier] * terms
    parts.append(f"CASE WHEN {name} {like} THEN %s WHEN {name} {like} THEN %s ELSE 0 END")
    parts.append(f"CASE WHEN {keywords} {like} THEN %s ELSE 0 END")
    score = " + ".join(f"({part})" for part in parts)
    matches = " OR ".join([f"{text} {like}"] * filter_terms)
    where = " AND ".join([*_where_filters("m", shape), f"({matches})"])
    department, order = _table(Department), _column(Department, "order")
    on = f"d.{_column(Department, 'id')} = m.{_column(Matter, 'department')}"
    return (
        f"SELECT m.{_column(Matter, 'id')}, {score} AS score"  # noqa: S608 - see _token_sql
        f" FROM {_table(Matter)} m"
        f" INNER JOIN {department} d ON {on}"
        f" WHERE {where}"
        f" ORDER BY score DESC, d.{order} ASC, m.{_column(Matter, 'code')} ASC"
        " LIMIT %s"
    )


def _contains(value: str) -> str:
    """The LIKE pattern of a substring test, escaped as the ORM escapes it."""
    return f"%{connection.ops.prep_for_like_query(value)}%"


def _substring_page(
    filters: _Filters, parsed: ParsedQuery, *, offset: int, limit: int
) -> tuple[list[Matter], int]:
    terms = parsed.all_terms
    original = len(parsed.terms)
    wanted = _filter_terms(terms)
    params: list[Any] = []
    for i, term in enumerate(terms):
        synonym = i >= original
        pattern = _contains(term)
        params += [pattern, SYNONYM_NAME_HIT if synonym else NAME_HIT]
        params += [pattern, SYNONYM_KEYWORD_HIT if synonym else KEYWORD_HIT]
        params += [pattern, SYNONYM_BODY_HIT if synonym else BODY_HIT]
    core = parsed.core
    phrase = PHRASE_IN_NAME_BONUS if len(parsed.terms) > 1 else 0
    params += [_contains(f"\n{core}\n"), EXACT_NAME_BONUS, _contains(core), phrase]
    params += [_contains(f",{core},"), EXACT_KEYWORD_BONUS]
    params += [*filters.params(), *(_contains(t) for t in wanted), MAX_CANDIDATES]
    sql = _substring_sql(connection.vendor, len(terms), len(wanted), filters.shape)
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = [pk for pk, _score in cursor.fetchall()]
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


def _active_themes() -> list[Theme]:
    """The active themes with their sections, in catalogue order (a few dozen at most).

    With the result cache on, read once per catalogue generation and cache period (a theme's
    change starts a new generation, as for the cached result pages).
    """
    key = search_cache_key("themes")
    themes: list[Theme] | None = cache.get(key) if key else None
    if themes is None:
        order = f"a.{_column(Theme, 'order')}, a.{_column(Theme, 'code')}"
        themes = _THEME_ROWS.select(
            f"a.{_column(Theme, 'is_active')} = %s ORDER BY {order}", [True]
        )
        if key:
            cache.set(key, themes, settings.CATALOG_SEARCH_CACHE_SECONDS)
    return themes


def theme_search(
    parsed: ParsedQuery, *, audience: str | None = None, section_id: int | None = None
) -> list[Theme]:
    """Active themes the parsed query names, best first (one query over the few themes)."""
    if not parsed.all_terms:
        return []
    loaded = [
        theme
        for theme in _active_themes()
        if (not audience or theme.audience in (audience, "both"))
        and (not section_id or theme.section_id == section_id)
    ]
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
