"""Queries compiled once (core/prepared.py) give what the ORM gives and refuse what they can't."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, DateTimeField, F, Model, Value
from django.db.models.functions import Concat, Now
from django.db.models.signals import post_save
from django.db.models.sql.compiler import SQLInsertCompiler, SQLUpdateCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.utils import timezone

from tongban.catalog.models import Department
from tongban.core.prepared import (
    MANY_ROWS,
    Param,
    Prepared,
    PreparedRows,
    PreparedSave,
    PreparedUpdate,
)
from tongban.exchange.models import DataResource, RegistryRecord
from tongban.identity import services as identity_services
from tongban.identity.models import ApiToken, StaffProfile, User

pytestmark = pytest.mark.django_db


def _state(obj: Model | None, seen: frozenset[int] = frozenset()) -> Any:
    """An instance's loaded values and, recursively, the related rows select_related set
    (a row already on the path, as a one-to-one's way back, by its type and key)."""
    if obj is None:
        return None
    if id(obj) in seen:
        return (type(obj), obj.pk)
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    cache = obj._state.fields_cache  # type: ignore[attr-defined]
    related = {name: _state(rel, seen | {id(obj)}) for name, rel in cache.items()}
    return (type(obj), values, related, obj._state.adding, obj._state.db)


def _same(ours: list[Any], orm: list[Any]) -> None:
    assert [_state(o) for o in ours] == [_state(o) for o in orm]
    assert ours, "the comparison must compare something"


_TOKEN_USER = Prepared(
    lambda: (
        ApiToken.objects.select_related("user__staff_profile__department")
        .filter(
            token_hash=Param("token_hash"),
            expires_at__gt=Param("now", DateTimeField()),
            user__is_active=True,
        )
        .order_by("-expires_at")[:1]
    )
)


def _token(user: User) -> ApiToken:
    identity_services.api_token_create_for(user=user)
    return ApiToken.objects.filter(user=user).latest("id")


def test_a_token_with_its_user_post_and_department_is_what_the_orm_reads(
    clerk: User, applicant: User
) -> None:
    now = timezone.now()
    for user in (clerk, applicant):  # with a staff post and department, and without (NULLs)
        token = _token(user)
        ours = _TOKEN_USER.all(token_hash=token.token_hash, now=now)
        orm = list(
            ApiToken.objects.select_related("user__staff_profile__department")
            .filter(token_hash=token.token_hash, expires_at__gt=now, user__is_active=True)
            .order_by("-expires_at")[:1]
        )
        _same(ours, orm)
    # The related rows are set as the ORM sets them: no query to follow them.
    token_hash = _token(clerk).token_hash
    with CaptureQueriesContext(connection) as queries:
        found = _TOKEN_USER.first(token_hash=token_hash, now=now)
        assert found is not None
        assert found.user.staff_profile.department.code == "market"
    assert len(queries) == 1


def test_the_values_of_each_call_are_used_and_nothing_is_remembered(clerk: User) -> None:
    token = _token(clerk)
    now = timezone.now()
    assert _TOKEN_USER.first(token_hash=token.token_hash, now=now) is not None
    assert _TOKEN_USER.first(token_hash="no-such-hash", now=now) is None
    # A value converted by its field: an expiry in the past no longer matches.
    later = token.expires_at + dt.timedelta(seconds=1)
    assert _TOKEN_USER.first(token_hash=token.token_hash, now=later) is None
    # A change made after a call is seen by the next one (rows are never cached).
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert _TOKEN_USER.first(token_hash=token.token_hash, now=now) is None


def test_only_order_slices_and_annotations_match_the_orm(
    departments: dict[str, Department],
) -> None:
    def build() -> Any:
        return (
            Department.objects.only("code", "name")
            .annotate(posts=Count("staff"), twice=F("order") * 2)
            .filter(code__gte=Param("from"))
            .order_by("-code")[:2]
        )

    orm = list(
        Department.objects.only("code", "name")
        .annotate(posts=Count("staff"), twice=F("order") * 2)
        .filter(code__gte="center")
        .order_by("-code")[:2]
    )
    ours = Prepared(build).all(**{"from": "center"})
    _same(ours, orm)
    assert [d.code for d in ours] == ["police", "market"]
    # Deferred fields load on access, as with .only().
    with CaptureQueriesContext(connection) as queries:
        assert ours[0].name_en == "Public Security Sub-bureau"
    assert len(queries) == 1


def test_get_raises_the_models_own_errors(departments: dict[str, Department]) -> None:
    by_code = Prepared(lambda: Department.objects.filter(code=Param("code")))
    assert by_code.get(code="police").pk == departments["police"].pk
    with pytest.raises(Department.DoesNotExist):
        by_code.get(code="nowhere")
    every = Prepared(lambda: Department.objects.filter(code__gt=Param("code")))
    with pytest.raises(Department.MultipleObjectsReturned):
        every.get(code="a")


def test_wrong_or_missing_values_are_refused_before_any_query(
    departments: dict[str, Department],
) -> None:
    by_code = Prepared(lambda: Department.objects.filter(code=Param("code")))
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(TypeError, match="missing"):
            by_code.all()
        with pytest.raises(TypeError, match="unknown"):
            by_code.all(code="police", other=1)
    assert len(queries) == 0


def test_what_it_cannot_do_is_refused_when_built(departments: dict[str, Department]) -> None:
    with pytest.raises(TypeError, match="values"):
        Prepared(lambda: Department.objects.filter(code=Param("c")).values("id")).all(c="x")
    with pytest.raises(TypeError, match="prefetch"):
        Prepared(lambda: Department.objects.filter(code=Param("c")).prefetch_related("staff")).all(
            c="x"
        )
    by_ids = Prepared(lambda: Department.objects.filter(pk__in=Param("ids")))
    with pytest.raises(TypeError, match="__in"):
        by_ids.all(ids=[1, 2])
    # A constant list is compiled with the query: that is fine.
    constant = Prepared(lambda: Department.objects.filter(code=Param("c"), code__in=["police"]))
    assert [d.code for d in constant.all(c="police")] == ["police"]


_POST_LOCKED = Prepared(
    lambda: (
        StaffProfile.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(user_id=Param("user"))
    )
)


@pytest.mark.django_db(transaction=True)
def test_a_row_lock_outside_a_transaction_is_refused_as_by_the_orm(clerk: User) -> None:
    assert connection.get_autocommit()
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite takes no row locks: the ORM does not refuse either")
    with pytest.raises(TransactionManagementError):
        StaffProfile.objects.select_for_update().filter(user_id=clerk.pk).first()
    with pytest.raises(TransactionManagementError):
        _POST_LOCKED.get(user=clerk.pk)


def test_a_row_lock_reads_what_the_orm_reads(clerk: User) -> None:
    locked = _POST_LOCKED
    with transaction.atomic():
        post = locked.get(user=clerk.pk)
        orm = StaffProfile.objects.select_for_update(of=("self",)).select_related("department")
        _same([post], [orm.get(user_id=clerk.pk)])
    if connection.vendor == "postgresql":
        assert "FOR UPDATE OF" in locked._plan().sql


def test_each_thread_compiles_for_its_own_connection(departments: dict[str, Department]) -> None:
    by_code = Prepared(lambda: Department.objects.filter(code=Param("code")))
    by_code.get(code="police")
    plans: list[Any] = []

    def other_thread() -> None:
        try:
            plans.append(by_code._plan())
        finally:
            connection.close()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert plans and plans[0] is not by_code._plan()
    assert plans[0].connection is not by_code._plan().connection


def test_a_key_out_of_the_columns_range_finds_nothing_without_a_query(
    departments: dict[str, Department],
) -> None:
    by_pk = Prepared(lambda: Department.objects.filter(pk=Param("pk", Department._meta.pk)))
    assert by_pk.get(pk=departments["police"].pk).code == "police"
    with CaptureQueriesContext(connection) as queries:
        for huge in (2**63, -(2**63) - 1, 10**30):
            assert by_pk.all(pk=huge) == []
            assert list(Department.objects.filter(pk=huge)) == []  # the ORM agrees
    assert len(queries) == 0


def test_rows_of_a_values_list_are_the_orms_tuples(clerk: User) -> None:
    posts = PreparedRows(
        lambda: (
            StaffProfile.objects.filter(department__code=Param("code"))
            .values_list("user_id", "department__code", "created_at")
            .order_by("user_id")
        )
    )
    orm = list(
        StaffProfile.objects.filter(department__code="market")
        .values_list("user_id", "department__code", "created_at")
        .order_by("user_id")
    )
    assert posts.all(code="market") == orm
    assert orm and isinstance(orm[0][2], dt.datetime) and orm[0][2].tzinfo is not None
    assert posts.all(code="nowhere") == []
    with pytest.raises(TypeError, match="values_list"):
        PreparedRows(lambda: StaffProfile.objects.filter(user_id=Param("u"))).all(u=1)
    with pytest.raises(TypeError, match="values_list"):
        PreparedRows(lambda: StaffProfile.objects.annotate(n=Count("id")).values_list("n")).all()


_RENAME = PreparedUpdate(
    lambda: (
        Department.objects.filter(
            pk=Param("pk", Department._meta.pk), order=Param("order", Department._meta.pk)
        ),
        {
            "name": Param("name", Department._meta.get_field("name")),
            "order": F("order") + 1,
            "updated_at": Param("now", Department._meta.get_field("updated_at")),
        },
    )
)


def test_an_update_changes_what_the_orms_update_changes(
    departments: dict[str, Department],
) -> None:
    police, market = departments["police"], departments["market"]
    orders = {d.code: d.order for d in (police, market)}
    now = timezone.now()
    # The row whose version (here its order) matches changes, once; the other not at all.
    assert _RENAME.run(pk=police.pk, order=police.order, name="公安分局（新）", now=now) == 1
    assert _RENAME.run(pk=police.pk, order=police.order, name="又改", now=now) == 0
    Department.objects.filter(pk=market.pk, order=market.order).update(
        name="市场监管局（新）", order=F("order") + 1, updated_at=now
    )
    police.refresh_from_db()
    market.refresh_from_db()
    assert (police.name, police.updated_at) == ("公安分局（新）", now)
    assert (police.order, market.order) == (orders["police"] + 1, orders["market"] + 1)
    # A key out of range changes nothing and asks nothing.
    with CaptureQueriesContext(connection) as queries:
        assert _RENAME.run(pk=2**63, order=1, name="x", now=now) == 0
    assert len(queries) == 0


_CLOSE_RETURNING = PreparedUpdate(
    lambda: (
        Department.objects.filter(code=Param("code")),
        {"in_center": False, "updated_at": Param("now", Department._meta.get_field("updated_at"))},
    ),
    returning=("name", "order", "created_at"),
)


def test_an_update_gives_back_the_columns_of_the_rows_it_changed_in_one_statement(
    departments: dict[str, Department],
) -> None:
    police = departments["police"]
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        rows = _CLOSE_RETURNING.rows(code="police", now=now)
    assert len(queries) == 1 and "RETURNING" in queries[0]["sql"]
    # Converted as the ORM reads them: the time aware, in the ORM's own value.
    assert rows == [(police.name, police.order, police.created_at)]
    assert rows[0][2].tzinfo is not None
    police.refresh_from_db()
    assert (police.in_center, police.updated_at) == (False, now)
    # Nothing matched: no row, nothing changed; run() of the same update counts rows.
    assert _CLOSE_RETURNING.rows(code="nowhere", now=now) == []
    assert _CLOSE_RETURNING.run(code="market", now=now) == 1
    with pytest.raises(TypeError, match="returning"):
        _RENAME.rows(pk=police.pk, order=police.order, name="x", now=now)


def test_an_update_across_a_relation_is_refused(departments: dict[str, Department]) -> None:
    across = PreparedUpdate(
        lambda: (StaffProfile.objects.filter(department__code=Param("code")), {"title": "x"})
    )
    with pytest.raises(TypeError, match="one table"):
        across.run(code="police")


def test_a_json_list_is_one_value_of_an_update(departments: dict[str, Department]) -> None:
    resource = DataResource.objects.create(
        code="r1",
        name="资源",
        provider=departments["police"],
        share_type="unconditional",
        subject_kind="person",
    )
    configure = PreparedUpdate(
        lambda: (
            DataResource.objects.filter(pk=Param("pk", DataResource._meta.pk)),
            {"adapter_config": Param("config", DataResource._meta.get_field("adapter_config"))},
        )
    )
    assert configure.run(pk=resource.pk, config=["a", {"b": 1}]) == 1
    resource.refresh_from_db()
    assert resource.adapter_config == ["a", {"b": 1}]
    # A list for a plain value is refused, before any query.
    by_code = PreparedUpdate(
        lambda: (DataResource.objects.filter(code=Param("code")), {"is_active": False})
    )
    with CaptureQueriesContext(connection) as queries, pytest.raises(TypeError, match="list"):
        by_code.run(code=["r1", "r2"])
    assert len(queries) == 0


# --- PreparedSave: obj.save() with its statements compiled once --------------------------------

_RECORD_SAVE = PreparedSave(RegistryRecord)
_RESOURCE_SAVE = PreparedSave(DataResource)


@pytest.fixture
def resource(departments: dict[str, Department]) -> DataResource:
    return DataResource.objects.create(
        code="r-save",
        name="资源",
        provider=departments["police"],
        share_type="unconditional",
        subject_kind="person",
    )


def _statements(run: Any, *, compiler: bool = True) -> list[tuple[str, tuple[Any, ...]]]:
    """The SQL text and parameters each statement of ``run()`` sent to the cursor
    (``compiler=False``: Django's INSERT and UPDATE compilers fail if they are asked)."""
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        stack.enter_context(connection.execute_wrapper(record))
        if not compiler:
            for kind in (SQLInsertCompiler, SQLUpdateCompiler):
                stack.enter_context(
                    mock.patch.object(kind, "as_sql", side_effect=AssertionError("compiled"))
                )
        run()
    return sent


def _row(obj: Model) -> dict[str, Any]:
    values = type(obj).objects.filter(pk=obj.pk).values().get()  # type: ignore[attr-defined]
    return {k: v for k, v in values.items() if k not in ("id", "created_at", "updated_at")}


def test_an_insert_sends_the_orms_statement_and_sets_what_save_sets(
    resource: DataResource,
) -> None:
    data = {"姓名": "张三", "list": [1, 2], "none": None}
    ours = RegistryRecord(resource=resource, subject="110101199001011234", data=data)
    orm = RegistryRecord(resource=resource, subject="110101199001015678", data=data)
    ours_sql = _statements(lambda: _RECORD_SAVE.save(ours), compiler=False)
    orm_sql = _statements(orm.save)
    # The same text; the same parameters but the subject and the auto_now times.
    assert [sql for sql, _ in ours_sql] == [sql for sql, _ in orm_sql]
    assert len(ours_sql) == 1 and ours_sql[0][0].startswith("INSERT INTO")
    assert ours.pk is not None and ours.pk == orm.pk - 1
    assert (ours._state.adding, ours._state.db) == (orm._state.adding, orm._state.db)
    assert ours.created_at.tzinfo is not None and ours.updated_at >= ours.created_at
    assert _row(ours) == {**_row(orm), "subject": "110101199001011234"}
    # create() is save() of a new instance, and bulk_create() of one instance too.
    made = _RECORD_SAVE.create(resource=resource, subject="x", data=[])
    one = RegistryRecord(resource=resource, subject="y", data={})
    assert _statements(lambda: _RECORD_SAVE.bulk_create([one]), compiler=False)
    assert one.pk == made.pk + 1 and not one._state.adding
    assert RegistryRecord.objects.get(pk=made.pk).data == []


def test_an_update_sends_the_orms_statement_and_writes_every_column(
    resource: DataResource,
) -> None:
    ours = RegistryRecord.objects.create(resource=resource, subject="a", data={})
    orm = RegistryRecord.objects.create(resource=resource, subject="b", data={})
    before = ours.updated_at
    for record in (ours, orm):
        record.data = {"改": True}
    ours_sql = _statements(lambda: _RECORD_SAVE.save(ours), compiler=False)
    orm_sql = _statements(orm.save)
    assert [sql for sql, _ in ours_sql] == [sql for sql, _ in orm_sql]
    assert ours_sql[0][0].startswith("UPDATE")
    assert ours.updated_at > before  # auto_now, as save() sets it
    assert _row(ours) == {**_row(orm), "subject": "a"}
    assert RegistryRecord.objects.get(pk=ours.pk).data == {"改": True}


def test_what_only_save_handles_is_left_to_save(resource: DataResource) -> None:
    # A model with receivers: save() runs and so do they.
    seen: list[tuple[int, bool]] = []

    def receiver(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=DataResource, dispatch_uid="test-prepared-save")
    try:
        resource.name = "改名"
        _RESOURCE_SAVE.save(resource)
        made = _RESOURCE_SAVE.create(
            code="r2",
            name="资源二",
            provider=resource.provider,
            share_type="unconditional",
            subject_kind="person",
        )
    finally:
        post_save.disconnect(sender=DataResource, dispatch_uid="test-prepared-save")
    assert seen == [(resource.pk, False), (made.pk, True)]
    # An expression: resolved by save(), the instance then holds what save() leaves.
    record = RegistryRecord.objects.create(resource=resource, subject="e", data={})
    record.subject = Concat(F("subject"), Value("-2"))
    _RECORD_SAVE.save(record)
    assert RegistryRecord.objects.get(pk=record.pk).subject == "e-2"
    # Deferred fields: save() writes the loaded ones only.
    partial = RegistryRecord.objects.only("subject").get(pk=record.pk)
    RegistryRecord.objects.filter(pk=record.pk).update(data={"meanwhile": 1})
    partial.subject = "f"
    _RECORD_SAVE.save(partial)
    assert _row(partial)["data"] == {"meanwhile": 1}
    # A loaded instance whose row is gone is inserted again, as save() does.
    RegistryRecord.objects.filter(pk=record.pk).delete()
    record.subject = "g"
    _RECORD_SAVE.save(record)
    assert RegistryRecord.objects.get(pk=record.pk).subject == "g"
    # A key given by hand to a new instance: save() decides.
    RegistryRecord.objects.filter(pk=record.pk).delete()
    again = RegistryRecord(pk=record.pk, resource=resource, subject="h", data={})
    _RECORD_SAVE.save(again)
    assert RegistryRecord.objects.get(pk=record.pk).subject == "h"


def test_a_refused_insert_marks_the_transaction_and_leaves_nothing(
    resource: DataResource,
) -> None:
    RegistryRecord.objects.create(resource=resource, subject="dup", data={})
    count = RegistryRecord.objects.count()
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            _RECORD_SAVE.create(resource=resource, subject="dup", data={})
        # As save() does: the block is rolled back on leaving (PostgreSQL has aborted it).
        assert transaction.get_rollback() is True
    assert RegistryRecord.objects.count() == count
    with pytest.raises(ValueError, match="unsaved related object"):
        _RECORD_SAVE.save(RegistryRecord(resource=DataResource(code="new"), subject="x", data={}))
    assert RegistryRecord.objects.count() == count


@isolate_apps("tongban.core")
def test_models_it_cannot_save_are_refused_when_compiled() -> None:
    class Parent(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=10)

    class Child(Parent):  # noqa: DJ008
        extra = models.CharField(max_length=10)

    class WithDefault(models.Model):  # noqa: DJ008
        made = models.DateTimeField(db_default=Now())

    class OwnSave(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=10)

        def save(self, *args: Any, **kwargs: Any) -> None:
            self.name = self.name.upper()
            super().save(*args, **kwargs)

    for model in (Child, WithDefault, OwnSave):
        with pytest.raises(TypeError, match="PreparedSave cannot save"):
            PreparedSave(model).create()


def test_several_new_rows_are_one_compiled_insert_as_bulk_create_makes_them(
    resource: DataResource,
) -> None:
    data = {"姓名": "张三", "list": [1, 2]}
    ours = [RegistryRecord(resource=resource, subject=f"a{n}", data=data) for n in range(3)]
    orm = [RegistryRecord(resource=resource, subject=f"b{n}", data=data) for n in range(3)]
    ours_sql = _statements(lambda: _RECORD_SAVE.bulk_create(ours), compiler=False)
    orm_sql = _statements(lambda: RegistryRecord.objects.bulk_create(orm))
    assert len(ours_sql) == 1 and ours_sql[0][0].startswith("INSERT INTO")
    assert len(orm_sql) == 1
    # The keys come back in the order of the rows, and each instance is saved as bulk_create
    # leaves it.
    assert [r.pk for r in ours] == sorted(r.pk for r in ours)
    assert [r.pk for r in orm] == [ours[-1].pk + 1 + n for n in range(3)]
    for mine, theirs in zip(ours, orm, strict=True):
        assert (mine._state.adding, mine._state.db) == (theirs._state.adding, theirs._state.db)
        assert mine.created_at.tzinfo is not None
        assert _row(mine) == {**_row(theirs), "subject": mine.subject}
    # The same number of rows again: the same text, compiled once.
    again = [RegistryRecord(resource=resource, subject=f"c{n}", data={}) for n in range(3)]
    assert [
        sql for sql, _ in _statements(lambda: _RECORD_SAVE.bulk_create(again), compiler=False)
    ] == [ours_sql[0][0]]


def test_rows_it_cannot_insert_together_go_to_bulk_create(resource: DataResource) -> None:
    many = [
        RegistryRecord(resource=resource, subject=f"m{n}", data={}) for n in range(MANY_ROWS + 1)
    ]
    assert _RECORD_SAVE.bulk_create(many) == many
    assert RegistryRecord.objects.filter(subject__startswith="m").count() == MANY_ROWS + 1
    assert all(r.pk is not None and not r._state.adding for r in many)
    keyed = [
        RegistryRecord(pk=10_000 + n, resource=resource, subject=f"k{n}", data={}) for n in range(2)
    ]
    _RECORD_SAVE.bulk_create(keyed)
    assert set(
        RegistryRecord.objects.filter(subject__startswith="k").values_list("pk", flat=True)
    ) == {
        10_000,
        10_001,
    }
    assert _RECORD_SAVE.bulk_create([]) == []


def test_a_refused_insert_of_several_rows_leaves_none_of_them(resource: DataResource) -> None:
    RegistryRecord.objects.create(resource=resource, subject="dup", data={})
    count = RegistryRecord.objects.count()
    rows = [RegistryRecord(resource=resource, subject=s, data={}) for s in ("new", "dup")]
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            _RECORD_SAVE.bulk_create(rows)
        assert transaction.get_rollback() is True
    assert RegistryRecord.objects.count() == count
