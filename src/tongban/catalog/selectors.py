"""Catalogue reads: search, guides, versions, departments, sections, themes.

The catalogue is public, so these selectors take no acting user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from tongban.catalog.choices import Audience, OnlineDepth
from tongban.catalog.models import (
    Department,
    Matter,
    MatterVersion,
    Section,
    Theme,
    ThemeMatter,
)
from tongban.catalog.search import (
    ParsedQuery,
    matters_in_order,
    parse_query,
    search_cache_key,
    search_page,
    theme_search,
)
from tongban.core.errors import FieldError, NotFound, ValidationFailed

MAX_PAGE_SIZE = 100


@dataclass
class SearchPage:
    items: list[Matter]
    total: int
    page: int
    pages: int
    page_size: int
    query: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    #: Themes (一件事) matching the query, best first; shown before the matters (page 1 only).
    themes: list[Theme] = field(default_factory=list)
    #: When a query finds nothing: the sections and the most asked services to try instead.
    suggested_sections: list[Section] = field(default_factory=list)
    suggested_matters: list[Matter] = field(default_factory=list)


def _active_matters() -> QuerySet[Matter]:
    return Matter.objects.filter(is_active=True)


def matter_search(
    *,
    query: str = "",
    audience: str | None = None,
    section: str | None = None,
    department: str | None = None,
    online_depth: str | None = None,
    page: int = 1,
    page_size: int = 20,
    use_cache: bool = True,
) -> SearchPage:
    """Active matters matching a (Chinese) query and filters, best first, one page.

    ``use_cache=False`` for a caller that caches its own rendering of the page (the API): the
    page's model instances are then not pickled into the cache as well.
    """
    query = (query or "").strip()
    errors: list[FieldError] = []
    if len(query) > settings.SEARCH_MAX_QUERY_LENGTH:
        errors.append(
            FieldError(
                field="q",
                message=_("搜索内容不能超过 %(max)s 个字")
                % {"max": settings.SEARCH_MAX_QUERY_LENGTH},
            )
        )
    if audience and audience not in Audience.values:
        errors.append(
            FieldError(
                field="audience",
                message=_("服务对象只能是：%(values)s") % {"values": "、".join(Audience.values)},
            )
        )
    if online_depth and online_depth not in OnlineDepth.values:
        errors.append(
            FieldError(
                field="online_depth",
                message=_("网办深度只能是：%(values)s") % {"values": "、".join(OnlineDepth.values)},
            )
        )
    section_id = department_id = None
    if section:
        section_id = Section.objects.filter(code=section).values_list("id", flat=True).first()
        if section_id is None:
            errors.append(
                FieldError(
                    field="section",
                    message=_("板块“%(code)s”不存在") % {"code": section},
                )
            )
    if department:
        department_id = (
            Department.objects.filter(code=department).values_list("id", flat=True).first()
        )
        if department_id is None:
            errors.append(
                FieldError(
                    field="department",
                    message=_("部门“%(code)s”不存在") % {"code": department},
                )
            )
    if page < 1:
        errors.append(FieldError(field="page", message=_("页码从 1 开始")))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        errors.append(
            FieldError(
                field="page_size",
                message=_("每页条数应在 1 到 %(max)s 之间") % {"max": MAX_PAGE_SIZE},
            )
        )
    if errors:
        raise ValidationFailed(_("搜索条件有误"), errors=errors)

    # Plain lookups on Matter, so search can apply them through its token join.
    lookups: dict[str, Any] = {"is_active": True}
    filters: dict[str, str] = {}
    if audience:
        filters["audience"] = audience
        lookups["audience__in"] = sorted({audience, Audience.BOTH})
    if section:
        filters["section"] = section
        lookups["section_id"] = section_id
    if department:
        filters["department"] = department
        lookups["department_id"] = department_id
    if online_depth:
        filters["online_depth"] = online_depth
        lookups["online_depth"] = online_depth

    key = search_cache_key(query, sorted(lookups.items()), page, page_size) if use_cache else None
    cached = cache.get(key) if key else None
    if cached is not None:
        items, total, themes, suggested = cached
    else:
        # Parsed once (segmentation and the synonym look-up) for the matters and the themes.
        parsed = parse_query(query) if query else None
        items, total = _matter_page(lookups, parsed, page, page_size)
        themes = []
        # Themes have no department or online depth of their own: only the plain query finds them.
        if parsed and page == 1 and not department and not online_depth:
            themes = theme_search(parsed, audience=audience, section_id=section_id)
        suggested = search_suggestions() if query and not total and not themes else ([], [])
        if key:
            cache.set(key, (items, total, themes, suggested), settings.CATALOG_SEARCH_CACHE_SECONDS)
    pages = (total + page_size - 1) // page_size
    return SearchPage(
        items=items,
        total=total,
        page=page,
        pages=pages,
        page_size=page_size,
        query=query,
        filters=filters,
        themes=themes,
        suggested_sections=suggested[0],
        suggested_matters=suggested[1],
    )


#: How many services a search that found nothing suggests.
SUGGESTED_SERVICES = 8


def search_suggestions() -> tuple[list[Section], list[Matter]]:
    """The sections and the most asked services, offered when a search finds nothing.

    "Most asked" is the catalogue's own order of its popular matters: the first active matters
    by department order, the same list the home page shows as hot services."""
    sections = list(section_list())
    ids = list(
        _active_matters()
        .order_by("department__order", "code")
        .values_list("id", flat=True)[:SUGGESTED_SERVICES]
    )
    return sections, matters_in_order(ids)


def _matter_page(
    lookups: dict[str, Any], parsed: ParsedQuery | None, page: int, page_size: int
) -> tuple[list[Matter], int]:
    start = (page - 1) * page_size
    if parsed is not None:
        items, total = search_page(lookups, parsed, offset=start, limit=page_size)
    else:
        queryset = Matter.objects.filter(**lookups)
        total = queryset.count()
        # Sort narrow rows (ids), then load only the page's matters whole.
        page_ids = list(
            queryset.order_by("department__order", "code").values_list("id", flat=True)[
                start : start + page_size
            ]
        )
        items = matters_in_order(page_ids)
    return items, total


def matter_get(*, code: str) -> Matter:
    """An active matter with its department, section, certificate type and materials."""
    matter = (
        _active_matters()
        .select_related("department", "section", "certificate_type")
        .prefetch_related("materials")
        .filter(code=code)
        .first()
    )
    if matter is None:
        raise NotFound(_("事项“%(code)s”不存在或已下线") % {"code": code})
    return matter


def matter_version_get(*, code: str, version: int) -> MatterVersion:
    """One published version of an active matter's guide."""
    found = (
        MatterVersion.objects.select_related("matter")
        .filter(matter__code=code, matter__is_active=True, version=version)
        .first()
    )
    if found is None:
        raise NotFound(
            _("事项“%(code)s”没有第 %(version)s 版") % {"code": code, "version": version}
        )
    return found


def department_list() -> QuerySet[Department]:
    """Departments in catalogue order, each with its number of active matters."""
    return Department.objects.annotate(
        matter_count=Count("matters", filter=Q(matters__is_active=True))
    ).order_by("order", "code")


def section_list() -> QuerySet[Section]:
    """The center's sections in order, each with its number of active matters."""
    return Section.objects.annotate(
        matter_count=Count("matters", filter=Q(matters__is_active=True))
    ).order_by("order", "code")


def _theme_matters() -> Prefetch:
    return Prefetch(
        "theme_matters",
        queryset=ThemeMatter.objects.select_related("matter", "matter__department").order_by(
            "order", "id"
        ),
    )


def theme_list() -> QuerySet[Theme]:
    """Active themes in order, with their matters."""
    return (
        Theme.objects.filter(is_active=True)
        .select_related("section", "combined_certificate_type")
        .prefetch_related(_theme_matters())
        .order_by("order", "code")
    )


def theme_get(*, code: str) -> Theme:
    """An active theme with its ordered matters."""
    theme = theme_list().filter(code=code).first()
    if theme is None:
        raise NotFound(_("主题“%(code)s”不存在或已下线") % {"code": code})
    return theme
