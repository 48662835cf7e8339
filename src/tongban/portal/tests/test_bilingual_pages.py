"""Every page reads completely in English, and the Chinese pages carry no English msgstr.

A crawler signs in as the people who use Tongban (an outsider, citizens, clerks, the center
admin), opens the pages they can reach from their start pages by following links, and reads
each page's visible text (text nodes and the attributes people read: title, alt, placeholder,
aria-label, button values) once in English and once in Chinese.

In English, a run of Chinese characters is allowed only where it is data that is itself Chinese:
what applicants typed, people's and enterprises' names, addresses — every string stored in the
database outside the columns that have an English counterpart (``name``/``name_en``) and outside
the texts the system writes itself (task names, timeline steps, material names). Text inside an
element marked ``lang="zh…"`` (the language switch) is Chinese on purpose.

In Chinese, a text node that is exactly the English translation of one of our Chinese messages
(two words or more) is an untranslated leak the other way round.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from tongban.cases.models import Case
from tongban.cases.services import case_create
from tongban.certificates.models import Certificate
from tongban.counter.models import Ticket
from tongban.demo.loader import demo_load
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CJK = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]*[\u3400-\u9fff]+"
    r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]*"
)
READ_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
SKIPPED_ELEMENTS = {"script", "style", "template", "noscript", "svg", "code", "pre"}
VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
#: Pages a crawl must not open: they change state on GET or lead out of the site.
NOT_FOLLOWED = re.compile(
    r"^/(logout|i18n|static|media|jsi18n|api|login/oidc|bench)/|/(download|pdf|xlsx|export)"
)
#: The same page shape is read this many times per URL name, at most.
PER_ROUTE = 2
PER_ROLE = 120
#: Columns whose Chinese the system writes itself, or that have an English counterpart the page
#: must show instead: not "data" for the English check.
SYSTEM_TEXTS = {
    ("cases", "task", "name"),
    ("cases", "timelineentry", "step"),
    ("cases", "casematerial", "name"),
}
#: Whole apps whose every text is translated catalogue data (name/name_en and the like).
TRANSLATED_APPS = {"catalog", "workflow", "contenttypes", "auth", "admin", "sessions", "axes"}


@dataclass
class PageText:
    texts: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    """Visible text and links of a page; text under lang="zh…" or in scripts is left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageText()
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden-from-the-check)

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        hidden = (
            self._hidden()
            or tag in SKIPPED_ELEMENTS
            or values.get("lang", "").lower().startswith("zh")
        )
        if tag == "a" and values.get("href"):
            self.page.links.append(values["href"])
        if not hidden:
            self.page.texts += [values[a] for a in READ_ATTRIBUTES if values.get(a)]
            if (
                tag == "input"
                and values.get("type") in {"submit", "button"}
                and values.get("value")
            ):
                self.page.texts.append(values["value"])
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.page.texts.append(data.strip())


def page_read(html: str) -> PageText:
    reader = _Reader()
    reader.feed(html)
    return reader.page


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def data_corpus(*, everything: bool = False) -> str:
    """Every Chinese string stored as data (not translated catalogue text), joined.

    ``everything``: every stored string, the catalogue's own Chinese names included.
    """
    found: set[str] = set()
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in TRANSLATED_APPS and not everything:
            continue
        names = {f.name for f in meta.concrete_fields}
        columns = [
            f.name
            for f in meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
            and not f.name.endswith("_en")
            and (
                everything
                or (
                    f"{f.name}_en" not in names
                    and (meta.app_label, meta.model_name, f.name) not in SYSTEM_TEXTS
                )
            )
        ]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            for value in row:
                found.update(s for s in _strings(value) if CJK.search(s))
    return "\n".join(sorted(found))


def english_messages() -> set[str]:
    """English translations (of two words or more) of our Chinese messages."""
    po = polib.pofile(str(Path(__file__).resolve().parents[2] / "locale/en/LC_MESSAGES/django.po"))
    return {
        e.msgstr.strip()
        for e in po.translated_entries()
        if CJK.search(e.msgid) and len(e.msgstr.split()) >= 2 and "%" not in e.msgstr
    }


@dataclass
class Leak:
    url: str
    who: str
    text: str


def _internal(href: str) -> str | None:
    href, _ = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if NOT_FOLLOWED.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _route(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def crawl(client: Client, starts: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(url, english html, chinese html) of the pages reachable from the start pages."""
    queue = list(starts)
    seen: set[str] = set()
    per_route: dict[str | None, int] = defaultdict(int)
    read = 0
    while queue and read < PER_ROLE:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        route = _route(url)
        # The admin's pages of a kind share one template: one of each is enough.
        limit = 1 if url.startswith("/admin/") else PER_ROUTE
        if route is not None and per_route[route] >= limit:
            continue
        per_route[route] += 1
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(url)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        chinese = client.get(url)
        if "text/html" not in english.get("Content-Type", "") or english.status_code >= 300:
            continue
        read += 1
        english_html = english.content.decode()
        for href in page_read(english_html).links:
            target = _internal(href)
            if target and target not in seen:
                queue.append(target)
        yield url, english_html, chinese.content.decode()


def leaks_in_english(html: str, corpus: str) -> list[str]:
    leaks = []
    for text in page_read(html).texts:
        for run in CJK.findall(text):
            if run.strip("。，、；：？！（）《》“”‘’…—·　") and run not in corpus:
                leaks.append(run)
    return leaks


def leaks_in_chinese(html: str, messages: set[str]) -> list[str]:
    return [text for text in page_read(html).texts if text in messages]


@pytest.fixture(scope="module")
def district(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The demo district and a simulated quarter, loaded once and rolled back after the module."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        demo_load()
        call_command(
            "simulate", "--cases", "30", "--days", "60", "--seed", "5", stdout=io.StringIO()
        )
        yield
        transaction.set_rollback(True)


def _signed_in(username: str | None) -> Client:
    client = Client()
    if username is not None:
        client.force_login(User.objects.get(username=username))
    return client


def _starts() -> dict[str, tuple[str | None, list[str]]]:
    case = Case.objects.filter(parent__isnull=True).exclude(case_no=None).order_by("-id").first()
    assert case is not None
    applicant = case.applicant_user.username if case.applicant_user else "citizen"
    certificate = Certificate.objects.order_by("-id").first()
    ticket = Ticket.objects.order_by("-id").first()
    public = [
        "/",
        "/search/?q=居住证",
        "/search/?q=nothing-at-all",
        "/m/",
        "/center/ticket/",
        "/center/screen/",
        "/publicity/permits/",
        "/stats/",
        "/data-catalogue/",
        "/evaluations/",
        "/login/",
        "/no-such-page/",
    ]
    if certificate is not None:
        public.append(f"/verify/{certificate.number}/")
    if ticket is not None:
        public.append(f"/center/tickets/{ticket.number}/")
    staff = ["/workbench/", "/workbench/cases/", f"/workbench/cases/{case.pk}/"]
    return {
        "outsider": (None, public),
        "applicant": (
            applicant,
            [
                "/my/cases/",
                f"/my/cases/{case.pk}/",
                "/my/data-access/",
                "/my/guidance/",
                "/my/certificates/",
                "/my/notifications/",
                "/apply/residence-permit/",
            ],
        ),
        "citizen": ("citizen", ["/my/cases/", "/apply/food-business-licence/"]),
        "agent": ("agent", ["/my/cases/", "/my/certificates/", "/apply/theme/open-restaurant/"]),
        "market clerk": ("market-clerk", staff),
        "center clerk": (
            "center-clerk",
            [
                *staff,
                "/workbench/counter/window/",
                "/workbench/desk/accept/",
                "/workbench/desk/outputs/",
            ],
        ),
        "center admin": (
            "admin",
            [
                *staff,
                "/admin/",
                "/workbench/stats/",
                "/workbench/processes/",
                "/workbench/studio/",
                "/workbench/counter/center/",
                "/workbench/evaluations/",
            ],
        ),
        "supervisor": (
            "market-supervisor",
            [*staff, "/workbench/guidance/", "/workbench/evaluation-appeals/"],
        ),
    }


def test_every_page_reads_in_english_and_in_chinese(district: None) -> None:
    corpus = data_corpus()
    # The admin lists catalogue rows by their (Chinese) names; its own labels must be English.
    admin_corpus = data_corpus(everything=True)
    messages = english_messages()
    english: set[tuple[str, str]] = set()
    chinese: set[tuple[str, str]] = set()
    pages = 0
    for username, starts in _starts().values():
        client = _signed_in(username)
        for url, english_html, chinese_html in crawl(client, starts):
            pages += 1
            data = admin_corpus if url.startswith("/admin/") else corpus
            english |= {(url, text) for text in leaks_in_english(english_html, data)}
            chinese |= {(url, text) for text in leaks_in_chinese(chinese_html, messages)}
    assert pages > 60, pages
    problems = [f"English page {u}: {t}" for u, t in sorted(english)]
    problems += [f"Chinese page {u}: {t}" for u, t in sorted(chinese)]
    if problems:
        pytest.fail(f"{len(problems)} texts in the other language:\n" + "\n".join(problems))


def test_the_check_page_reads_in_english_and_in_chinese(district: None) -> None:
    """检查您的答案 of fresh drafts (an empty one: its error summary), read like the crawl.

    Read on its own, not crawled: a fresh draft's other pages show the data-sharing notes
    stored in Chinese (cases.services.sharing), a leak outside this page.
    """
    citizen = User.objects.get(username="citizen")
    agent = User.objects.get(username="agent")
    drafts = [
        (citizen, case_create(actor=citizen, matter_code="residence-permit", form={})),
        (agent, case_create(actor=agent, matter_code="food-business-licence", form={})),
    ]
    corpus, messages = data_corpus(), english_messages()
    problems = []
    for user, draft in drafts:
        client = _signed_in(user.username)
        url = f"/my/cases/{draft.pk}/check/"
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(url)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        chinese = client.get(url)
        assert english.status_code == chinese.status_code == 200
        assert "Check your answers" in english.content.decode()
        assert ">Change<span" in english.content.decode()
        assert "检查您的答案" in chinese.content.decode()
        problems += [
            f"English {url}: {t}" for t in leaks_in_english(english.content.decode(), corpus)
        ]
        problems += [
            f"Chinese {url}: {t}" for t in leaks_in_chinese(chinese.content.decode(), messages)
        ]
    assert problems == []


def test_the_reader_skips_chinese_marked_as_chinese_and_scripts() -> None:
    page = page_read(
        '<p>Apply <span lang="zh-Hans">中文</span></p><script>var a="办件";</script>'
        '<input type="submit" value="提交"><a href="/x/" title="标题">x</a>'
    )
    assert page.texts == ["Apply", "提交", "标题", "x"]
    assert page.links == ["/x/"]


def test_a_chinese_run_that_is_not_data_is_a_leak() -> None:
    corpus = "张伟\n上海市嘉定区"
    assert leaks_in_english("<p>Applicant: 张伟, 上海市嘉定区</p>", corpus) == []
    assert leaks_in_english("<p>Status: 已受理</p>", corpus) == ["已受理"]
