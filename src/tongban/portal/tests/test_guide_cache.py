"""Guides served by published version: ETag/Last-Modified, 304s, the shared render cache and
what invalidates it (a publication, an edit outside one, a grant), across processes."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.test import Client
from django.utils.http import http_date

from tongban.catalog import guides
from tongban.catalog.guides import guide_stamp, guide_stamps_forget
from tongban.catalog.models import GuideEpoch, MaterialRequirement, Matter
from tongban.catalog.services import matter_publish
from tongban.counter.models import NegativeListEntry
from tongban.exchange.choices import ShareType, SubjectKind
from tongban.exchange.models import DataResource
from tongban.identity import services as identity
from tongban.portal.tests.conftest import PASSWORD
from tongban.portal.views import CSRF_PLACEHOLDER

pytestmark = pytest.mark.usefixtures("catalogue")

PAGE = "/matters/food-business-licence/"
API = "/api/v1/matters/food-business-licence"


@pytest.fixture(autouse=True)
def _guide_cache_on(settings: Any) -> Any:
    settings.GUIDE_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def _other_process() -> None:
    """What another gunicorn worker would hold: nothing of this process's memory but the
    shared database. (LocMemCache and the stamps are per process: forgetting them is
    switching processes.)"""
    cache.clear()
    guide_stamps_forget()


def _in_another_connection(work: Callable[[], Any]) -> None:
    """Run ``work`` in another thread, hence on another database connection, and commit it."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def _publish_shorter_limit() -> None:
    matter = Matter.objects.get(code="food-business-licence")
    matter.promised_limit_days = 3
    matter.save()
    matter_publish(matter=matter)


@pytest.mark.parametrize("path", [PAGE, API])
def test_a_client_holding_the_version_gets_a_304_and_a_new_version_a_200(
    client: Client, path: str
) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith('W/"')
    assert first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"]

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    other = client.get(path, headers={"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200
    assert other["ETag"] == etag

    since = client.get(path, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304

    _publish_shorter_limit()
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after["ETag"] != etag
    if path == API:
        assert after.json()["promised_limit_days"] == 3
        assert after.json()["version"] == 2
    else:
        assert "3 个工作日" in after.content.decode()


def test_the_api_answer_is_the_guide_with_its_version(client: Client) -> None:
    guide = client.get(API).json()
    assert guide["code"] == "food-business-licence"
    assert guide["version"] == 1
    assert [m["code"] for m in guide["materials"]][:2] == ["application", "business-licence"]
    # Served from the cache the second time: the same bytes.
    assert client.get(API).content == client.get(API).content


def test_an_unknown_or_odd_code_is_still_a_404(client: Client) -> None:
    assert client.get("/api/v1/matters/no-such-matter").status_code == 404
    assert client.get("/api/v1/matters/" + "x" * 500).status_code == 404
    assert client.get("/matters/no-such-matter/").status_code == 404


def test_a_signed_in_users_name_never_reaches_another_reader() -> None:
    zhang, li, anonymous = Client(), Client(), Client()
    zhang.force_login(identity.user_create(username="zs", password=PASSWORD, first_name="张三丰"))
    li.force_login(identity.user_create(username="ls", password=PASSWORD, first_name="李四光"))

    zhang_page = zhang.get(PAGE)
    assert "张三丰" in zhang_page.content.decode()
    li_page = li.get(PAGE).content.decode()
    assert "李四光" in li_page and "张三丰" not in li_page
    anonymous_page = anonymous.get(PAGE).content.decode()
    assert "张三丰" not in anonymous_page and "李四光" not in anonymous_page
    assert "登录后在线申请" in anonymous_page  # the anonymous body, not the signed-in one
    assert "登录后在线申请" not in li_page

    # Zhang's ETag is his: another reader presenting it gets the whole page, not a 304.
    stolen = li.get(PAGE, headers={"If-None-Match": zhang_page["ETag"]})
    assert stolen.status_code == 200
    assert "张三丰" not in stolen.content.decode()
    assert anonymous.get(PAGE, headers={"If-None-Match": zhang_page["ETag"]}).status_code == 200
    assert "Cookie" in zhang_page["Vary"] and "private" in zhang_page["Cache-Control"]


def test_a_signed_in_reader_is_not_answered_by_if_modified_since_alone() -> None:
    user = identity.user_create(username="zs", password=PASSWORD, first_name="张三丰")
    reader = Client()
    last_modified = reader.get(PAGE)["Last-Modified"]
    assert reader.get(PAGE, headers={"If-Modified-Since": last_modified}).status_code == 304
    reader.force_login(user)
    page = reader.get(PAGE, headers={"If-Modified-Since": last_modified})
    assert page.status_code == 200 and "张三丰" in page.content.decode()


def test_english_and_chinese_have_their_own_cached_guide(client: Client) -> None:
    chinese = client.get(PAGE)
    english = client.get(PAGE, headers={"Accept-Language": "en"})
    assert "食品经营许可" in chinese.content.decode()
    assert "Food Business Licence" in english.content.decode()
    assert "Materials" in english.content.decode() or "materials" in english.content.decode()
    assert chinese["ETag"] != english["ETag"]
    # Each from its own cache entry, again and again.
    assert (
        "Food Business Licence"
        in client.get(PAGE, headers={"Accept-Language": "en"}).content.decode()
    )
    assert "材料清单" in client.get(PAGE).content.decode()
    api_zh = client.get(API)
    api_en = client.get(API, headers={"Accept-Language": "en"})
    assert api_zh["ETag"] != api_en["ETag"]
    assert client.get(API, headers={"If-None-Match": api_zh["ETag"]}).status_code == 304


def test_a_material_edit_without_publication_reaches_every_process(client: Client) -> None:
    etag = client.get(PAGE)["ETag"]
    api_etag = client.get(API)["ETag"]
    material = MaterialRequirement.objects.get(matter__code="food-business-licence", code="layout")
    material.name = "经营场所平面图（含设备布局）"
    material.save()
    # This process: the key changed with the epoch, so the cached render is not used.
    page = client.get(PAGE, headers={"If-None-Match": etag})
    assert page.status_code == 200 and "含设备布局" in page.content.decode()
    assert client.get(API, headers={"If-None-Match": api_etag}).status_code == 200
    _other_process()
    assert "含设备布局" in client.get(PAGE).content.decode()


def test_another_process_never_serves_a_stale_guide(client: Client) -> None:
    # Process A renders and caches version 1.
    v1 = client.get(PAGE)
    # Process B publishes a new version; A's cache still holds version 1's render, and a
    # change made with a queryset update (no signal) is seen through the version alone.
    _publish_shorter_limit()
    Matter.objects.filter(code="food-business-licence").update(window_address="新地址一号")
    matter = Matter.objects.get(code="food-business-licence")
    matter_publish(matter=matter)
    # Process A's next request reads the stamp from the database: a new render.
    v3 = client.get(PAGE, headers={"If-None-Match": v1["ETag"]})
    assert v3.status_code == 200
    assert "新地址一号" in v3.content.decode()
    assert "3 个工作日" in v3.content.decode()


def test_the_negative_list_and_a_data_resource_change_the_guide(client: Client) -> None:
    before = client.get(PAGE)
    assert "不进驻中心" not in before.content.decode()
    matter = Matter.objects.get(code="food-business-licence")
    entry = NegativeListEntry.objects.create(
        matter=matter, reason="涉及现场核查", handled_at="市场监管局三楼"
    )
    page = client.get(PAGE, headers={"If-None-Match": before["ETag"]})
    assert page.status_code == 200 and "市场监管局三楼" in page.content.decode()
    entry.delete()
    assert "市场监管局三楼" not in client.get(PAGE).content.decode()

    epoch = guide_stamp(code="food-business-licence")
    assert epoch is not None
    DataResource.objects.create(
        code="market.guide-cache-probe",
        provider=matter.department,
        name="营业执照信息",
        share_type=ShareType.CONDITIONAL,
        subject_kind=SubjectKind.ENTERPRISE,
    )
    bumped = guide_stamp(code="food-business-licence")
    assert bumped is not None and bumped.epoch > epoch.epoch
    assert bumped.etag("api") != epoch.etag("api")
    assert GuideEpoch.objects.get().changed_at is not None


def test_last_modified_is_the_publication_time(client: Client) -> None:
    stamp = guide_stamp(code="food-business-licence")
    assert stamp is not None and stamp.published_at is not None
    response = client.get(API)
    assert response["Last-Modified"] == http_date(stamp.last_modified.timestamp())
    assert stamp.last_modified >= stamp.published_at


# --- what a guide request costs: queries, and the connection's health check ------------------


@pytest.mark.parametrize("path", [PAGE, API])
def test_a_304_costs_one_query_and_a_cached_guide_one_query(
    client: Client, path: str, django_assert_num_queries: Any
) -> None:
    etag = client.get(path)["ETag"]  # renders and caches the guide
    with django_assert_num_queries(1) as captured:  # the generation
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert "guideepoch" in captured.captured_queries[0]["sql"]
    assert "catalog_matter" not in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(1):  # the generation; the stamp and the body kept
        assert client.get(path).status_code == 200


def test_a_guide_api_answer_rendered_anew_has_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries: Any
) -> None:
    # A process that has read nothing: the generation, the stamp, the matter with its
    # department and section, its materials.
    guide_stamps_forget()
    with django_assert_num_queries(4):
        assert client.get(API).status_code == 200
    # The render cache emptied, the stamp kept: the generation, the matter, its materials.
    cache.clear()
    with django_assert_num_queries(3):
        assert client.get(API).status_code == 200


def test_an_unknown_code_is_never_kept(client: Client, django_assert_num_queries: Any) -> None:
    for _ in range(2):
        with django_assert_num_queries(2):  # the generation, the matter's row: none
            assert client.get("/api/v1/matters/no-such-matter").status_code == 404
    assert "no-such-matter" not in guides._known.stamps


@pytest.mark.usefixtures("transactional_db")
@pytest.mark.parametrize("path", [PAGE, API])
def test_a_publication_or_withdrawal_in_another_connection_is_seen_at_the_next_request(
    client: Client, path: str
) -> None:
    first = client.get(path)
    etag = first["ETag"]
    # This process now keeps the stamp: the 304 reads the generation only.
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert "food-business-licence" in guides._known.stamps
    if connection.vendor == "postgresql":
        # The generation went through the prepared statement on libpq, not Django's cursor.
        assert connection.connection in guides._prepared_on

    _in_another_connection(_publish_shorter_limit)
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after["ETag"] != etag
    assert (b'"promised_limit_days":3' if path == API else "3 个工作日".encode()) in after.content
    assert client.get(path, headers={"If-None-Match": after["ETag"]}).status_code == 304

    def withdraw() -> None:
        matter = Matter.objects.get(code="food-business-licence")
        matter.is_active = False
        matter.save()

    _in_another_connection(withdraw)
    assert client.get(path, headers={"If-None-Match": after["ETag"]}).status_code == 404


@pytest.mark.usefixtures("transactional_db")
def test_a_material_edit_in_another_connection_changes_the_etag_at_the_next_request(
    client: Client,
) -> None:
    etag = client.get(API)["ETag"]
    assert client.get(API, headers={"If-None-Match": etag}).status_code == 304

    def rename() -> None:
        material = MaterialRequirement.objects.get(
            matter__code="food-business-licence", code="layout"
        )
        material.name = "经营场所平面图（含设备布局）"
        material.save()

    _in_another_connection(rename)
    after = client.get(API, headers={"If-None-Match": etag})
    assert after.status_code == 200 and "含设备布局" in after.content.decode()


def test_a_stamp_read_under_an_older_generation_is_not_kept_under_a_newer_one(
    client: Client,
) -> None:
    assert guide_stamp(code="food-business-licence") is not None
    before = guides._known
    assert "food-business-licence" in before.stamps
    GuideEpoch.objects.update(value=before.stamps["food-business-licence"].epoch + 5)
    stamp = guide_stamp(code="food-business-licence")
    assert stamp is not None and guides._known is not before
    assert guides._known.stamps == {"food-business-licence": stamp}


def test_without_an_epoch_row_nothing_is_kept(django_assert_num_queries: Any) -> None:
    GuideEpoch.objects.all().delete()
    guide_stamps_forget()
    for _ in range(2):
        with django_assert_num_queries(2):  # the generation (none), the stamp
            assert guide_stamp(code="food-business-licence") is not None
    assert guides._known.stamps == {}


@pytest.fixture
def checked_connection(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A reused connection whose health check is due (as at a request's first query), with
    ``is_usable`` (Django's `SELECT 1`) recorded."""
    db: Any = connections[DEFAULT_DB_ALIAS]
    checks: list[str] = []
    real_is_usable = db.is_usable

    def is_usable() -> bool:
        checks.append("SELECT 1")
        return bool(real_is_usable())

    monkeypatch.setattr(db, "is_usable", is_usable)
    db.ensure_connection()
    monkeypatch.setattr(db, "health_check_enabled", True)
    db.health_check_done = False
    return checks


def test_the_stamp_query_is_the_requests_health_check(checked_connection: list[str]) -> None:
    db: Any = connections[DEFAULT_DB_ALIAS]
    stamp = guide_stamp(code="food-business-licence")
    assert stamp is not None and stamp.code == "food-business-licence"
    assert checked_connection == []  # no `SELECT 1` round trip of its own
    assert db.health_check_done


def test_a_broken_connection_is_replaced_and_the_stamp_read_again(
    checked_connection: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Any = connections[DEFAULT_DB_ALIAS]
    failures = iter([OperationalError("server closed the connection unexpectedly")])

    def broken_once(execute: Any, sql: str, *args: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return execute(sql, *args)

    monkeypatch.setattr(db, "is_usable", lambda: checked_connection.append("check"))
    closed: list[bool] = []
    real_close = db.close

    def close() -> None:
        closed.append(True)
        real_close()

    monkeypatch.setattr(db, "close", close)
    with db.execute_wrapper(broken_once):
        stamp = guide_stamp(code="food-business-licence")
    assert stamp is not None and stamp.code == "food-business-licence"
    assert checked_connection == ["check"] and closed == [True]


def test_a_connection_killed_by_the_server_is_replaced_on_the_fast_path(
    checked_connection: list[str],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the libpq fast path is PostgreSQL's")
    db: Any = connections[DEFAULT_DB_ALIAS]
    assert guide_stamp(code="food-business-licence") is not None
    assert db.connection in guides._prepared_on
    pid = db.connection.info.backend_pid

    def terminate() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    _in_another_connection(terminate)
    db.health_check_done = False  # as at the next request's first query
    stamp = guide_stamp(code="food-business-licence")
    assert stamp is not None and stamp.code == "food-business-licence"
    assert checked_connection == ["SELECT 1"]  # the dead connection looked at, then replaced
    assert db.connection.info.backend_pid != pid


@pytest.mark.usefixtures("transactional_db")
def test_a_rollback_that_makes_psycopg_deallocate_all_does_not_lose_the_generation() -> None:
    """With statements prepared by psycopg (ADR 0015, round 8), a ROLLBACK makes psycopg forget
    its own and send ``DEALLOCATE ALL``, which drops the generation's statement too: the next
    read prepares it again instead of failing (seen as a rare 500 under `bench/load.py`)."""
    if connection.vendor != "postgresql":
        pytest.skip("the libpq fast path is PostgreSQL's")
    db: Any = connections[DEFAULT_DB_ALIAS]
    assert guide_stamp(code="food-business-licence") is not None
    assert db.connection in guides._prepared_on
    # A statement psycopg prepares (run past the threshold), then a rolled-back transaction.
    for _ in range(db.connection.prepare_threshold + 1):
        Matter.objects.filter(code="food-business-licence").exists()
    assert any(name.startswith("_pg3_") for name in _prepared_statements())
    assert "tongban_guide_generation" in _prepared_statements()
    with pytest.raises(RuntimeError), transaction.atomic():
        Matter.objects.filter(code="food-business-licence").exists()
        raise RuntimeError("roll back")
    # psycopg sends DEALLOCATE ALL before the next statement: the generation's is gone too.
    assert "tongban_guide_generation" not in _prepared_statements()
    guide_stamps_forget()
    stamp = guide_stamp(code="food-business-licence")
    assert stamp is not None and stamp.code == "food-business-licence"
    assert db.connection in guides._prepared_on


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_an_error_on_a_usable_connection_is_not_retried(
    checked_connection: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(execute: Any, sql: str, *args: Any) -> Any:
        raise OperationalError("canceling statement due to statement timeout")

    db: Any = connections[DEFAULT_DB_ALIAS]
    with db.execute_wrapper(failing), pytest.raises(OperationalError):
        guide_stamp(code="food-business-licence")
    assert checked_connection == ["SELECT 1"]  # looked at, found usable, the error raised


# --- the anonymous page rendered once, each reader's CSRF token put in -------------------------

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _token(response: Any) -> str:
    tokens = _TOKEN.findall(response.content.decode())
    assert len(set(tokens)) == 1, tokens
    return str(tokens[0])


def test_every_anonymous_reader_gets_the_cached_page_with_their_own_csrf_token() -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    one = first.get(PAGE)
    two = second.get(PAGE)
    assert one.status_code == two.status_code == 200
    assert "portal/matter_page.html" in [t.name for t in one.templates]
    assert two.templates == []  # the whole page from the cache: no template rendered
    assert CSRF_PLACEHOLDER not in two.content.decode()
    token_one, token_two = _token(one), _token(two)
    assert token_one != token_two
    # The same page around the tokens.
    assert _TOKEN.sub("", one.content.decode()) == _TOKEN.sub("", two.content.decode())
    assert "csrftoken" in one.cookies and "csrftoken" in two.cookies
    # Each token works with its reader's cookie (the language switch), not with another's.
    switch = {"language": "en", "next": PAGE}
    assert (
        second.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": token_one}).status_code
        == 403
    )
    assert (
        second.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": token_two}).status_code
        == 302
    )
    # A reader coming back with their cookie keeps their secret in the page's token.
    again = first.get(PAGE)
    assert again.templates == []
    assert (
        first.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": _token(again)}).status_code
        == 302
    )


def test_a_page_asked_with_a_query_string_is_rendered_for_it() -> None:
    reader = Client()
    reader.get(PAGE)
    odd = reader.get(PAGE + "?from=search")
    assert odd.status_code == 200
    assert "portal/matter_page.html" in [t.name for t in odd.templates]
    assert 'value="/matters/food-business-licence/?from=search"' in odd.content.decode()
    assert CSRF_PLACEHOLDER not in odd.content.decode()
    plain = reader.get(PAGE).content.decode()
    assert 'value="/matters/food-business-licence/"' in plain and "from=search" not in plain


def test_a_signed_in_reader_never_gets_the_anonymous_page() -> None:
    Client().get(PAGE)  # the anonymous page is cached
    reader = Client()
    reader.force_login(identity.user_create(username="zs", password=PASSWORD, first_name="张三丰"))
    page = reader.get(PAGE)
    assert page.templates  # rendered for them
    assert "张三丰" in page.content.decode() and "登录后在线申请" not in page.content.decode()
