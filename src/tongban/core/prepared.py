"""ORM queries compiled once per process: the hot reads of a request without the SQL compiler.

A request of the case path makes 7–30 ORM queries, and by own time its profile is Django's SQL
compiler (``get_select``, ``get_related_selections``, ``quote_name_unless_alias`` …): compiling
one query with two joined models costs 0.5–2 ms of CPU, ten times its execution on SQLite or
on a local PostgreSQL. For a query a request makes every time with other values — the bearer
token's user, a case under its lock, the definition in force — the SQL text is the same each
time; only the parameters change. ``Prepared`` builds such a query once (per thread and database
alias) with ``Param`` placeholders where the values go, keeps the SQL text and what the ORM needs
to turn rows into instances, and on each call runs the text with the call's values::

    _CASE_LOCKED = Prepared(
        lambda: Case.objects.select_for_update(of=("self",))
        .select_related("matter")
        .filter(pk=Param("pk", Case._meta.pk))
    )
    case = _CASE_LOCKED.get(pk=42)

The rows become instances exactly as ``QuerySet.__iter__`` makes them (``Model.from_db``, the
related populators of ``select_related``, the annotations, the backend's converters and the
fields' ``from_db_value``), so the callers get what the ORM gives them
(``core/tests/test_prepared.py`` compares both; every use runs under its app's own tests).
What is read is never cached: each call runs its statement, so a change by another process
is seen at once. Supported: model querysets with ``filter``,
``select_related``, ``only``/``defer``, ``order_by``, slices, ``annotate`` and
``select_for_update``; ``PreparedRows`` takes a ``values_list()``, ``PreparedUpdate`` an
``UPDATE`` of one table, and ``PreparedSave`` is ``obj.save()`` for one model. Not
``prefetch_related`` or ``values()`` (refused when built), nor
``__in`` with a ``Param`` (one placeholder cannot take a list: a list given is refused).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Expression, Field, Model, QuerySet, sql
from django.db.models.query import (  # type: ignore[attr-defined]  # not in django-stubs
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

from tongban.core.dbcursor import statement_cursor

M = TypeVar("M", bound=Model)


class _NoMatch(Exception):
    """A value no row can hold: the query finds nothing without running."""


class _Slot:
    """Where a ``Param``'s value goes in the compiled parameters."""

    __slots__ = ("field", "name")

    def __init__(self, name: str, field: Field[Any, Any] | None) -> None:
        self.name, self.field = name, field


class Param(Expression):
    """A placeholder for a value given at each call of a ``Prepared`` query.

    ``field`` converts the value as the column's field would (a ``DateTimeField`` adapts an
    aware datetime for the backend) and, for an integer field, makes a value out of the
    column's range match nothing, as the ORM's equality does (PostgreSQL would refuse it);
    give it for every key. Without it the value is passed as it is (strings, booleans).
    """

    def __init__(self, name: str, field: Field[Any, Any] | None = None) -> None:
        super().__init__(output_field=field)
        self.name, self.convert_with = name, field

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [_Slot(self.name, self.convert_with)]

    def get_group_by_cols(self) -> list[Any]:
        return []

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


class _Plan:
    """One compiled query: its SQL text, the parameters' template and the row-to-instance map."""

    def __init__(self, queryset: QuerySet[Any], alias: str, *, rows: bool = False) -> None:
        if rows:
            if queryset._iterable_class is not ValuesListIterable or (
                queryset.query.annotation_select or queryset.query.extra_select
            ):
                raise TypeError("PreparedRows takes a values_list() of plain fields.")
        elif queryset._iterable_class is not ModelIterable:
            raise TypeError("Prepared takes a queryset of model instances (no values()).")
        if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise TypeError("Prepared cannot prefetch: prefetch_related makes more queries.")
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.template = tuple(params)
        self.names = _names(self.template)
        self.connection = compiler.connection
        self.for_update = bool(
            queryset.query.select_for_update and self.connection.features.has_select_for_update
        )
        self.compiler = compiler
        self.col_count = compiler.col_count
        self.trim = compiler.has_extra_select
        select = compiler.select
        self.converters = compiler.get_converters([s[0] for s in select[0 : self.col_count]])
        if rows:
            return
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, alias)
        self.annotations = dict(compiler.annotation_col_map or {})

    def params(self, values: dict[str, Any]) -> list[Any]:
        return _params(self.connection, self.template, self.names, values)


def _names(template: tuple[Any, ...]) -> frozenset[str]:
    return frozenset(v.name for v in template if isinstance(v, _Slot))


def _params(
    connection: Any, template: tuple[Any, ...], names: frozenset[str], values: dict[str, Any]
) -> list[Any]:
    """The parameters of a compiled statement: each ``Param``'s value, converted."""
    missing = names - values.keys()
    extra = values.keys() - names
    if missing or extra:
        raise TypeError(
            f"Prepared query parameters: missing {missing or '{}'}, unknown {extra or '{}'}"
        )
    out = []
    for value in template:
        if isinstance(value, _Slot):
            given = values[value.name]
            if value.field is not None:
                given = value.field.get_db_prep_value(given, connection, prepared=False)
            if isinstance(given, list | tuple | set | frozenset):
                # The SQL has one placeholder per Param: a list cannot go in one (a JSON
                # field's list is one value: its field has made it a JSON document above).
                raise TypeError(
                    f"Prepared query parameter {value.name!r}: one value, not a list"
                    " (no __in with a Param)"
                )
            if value.field is not None and isinstance(given, int) and not isinstance(given, bool):
                low, high = connection.ops.integer_field_range(value.field.get_internal_type())
                if (low is not None and given < low) or (high is not None and given > high):
                    # What the ORM does for an equality out of the column's range: nothing
                    # can match, and PostgreSQL would refuse the value.
                    raise _NoMatch
            out.append(given)
        else:
            out.append(value)
    return out


def _run(plan: _Plan, values: dict[str, Any]) -> Any:
    """The converted rows of ``plan`` run with ``values``."""
    try:
        params = plan.params(values)
    except _NoMatch:
        return []
    connection = plan.connection
    if plan.for_update and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    with statement_cursor(connection) as cursor:
        cursor.execute(plan.sql, params)
        rows: Any = cursor.fetchall()
    if not rows:
        return []
    if plan.trim:
        rows = [row[: plan.col_count] for row in rows]
    if plan.converters:
        rows = plan.compiler.apply_converters(rows, plan.converters)
    return rows


class _Compiled:
    """A statement compiled once per thread and database alias (``_compile`` makes the plan)."""

    def __init__(self, *, using: str) -> None:
        self._using = using
        self._local = threading.local()

    def _compile(self) -> Any:
        raise NotImplementedError

    def _plan(self) -> Any:
        connection = connections[self._using]
        plan = getattr(self._local, "plan", None)
        # A thread keeps one connection object per alias; a new one (tests that swap the
        # database, a closed thread's successor) gets its own plan.
        if plan is None or plan.connection is not connection:
            plan = self._compile()
            self._local.plan = plan
        return plan


class PreparedRows(_Compiled):
    """A ``values_list()`` query compiled once; each call gives its rows as tuples."""

    def __init__(
        self, build: Callable[[], QuerySet[Any]], *, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        super().__init__(using=using)
        self._build = build

    def _compile(self) -> _Plan:
        return _Plan(self._build(), self._using, rows=True)

    def all(self, **values: Any) -> list[tuple[Any, ...]]:
        """The rows (converted as the ORM converts them) the query finds with these values."""
        return [tuple(row) for row in _run(self._plan(), values)]


class Prepared(_Compiled, Generic[M]):
    """A model query compiled once per thread and database; each call runs it with new values."""

    def __init__(self, build: Callable[[], QuerySet[M]], *, using: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(using=using)
        self._build = build

    def _compile(self) -> _Plan:
        return _Plan(self._build(), self._using)

    def all(self, **values: Any) -> list[M]:
        """The instances of every row the query finds with these values."""
        plan = self._plan()
        rows = _run(plan, values)
        out = []
        start, end, init_list, alias = plan.start, plan.end, plan.init_list, self._using
        for row in rows:
            obj = plan.model.from_db(alias, init_list, row[start:end])
            for populator in plan.populators:
                populator.populate(row, obj)
            for attr, position in plan.annotations.items():
                setattr(obj, attr, row[position])
            out.append(obj)
        return out

    def first(self, **values: Any) -> M | None:
        """The first instance found (the query orders and slices), or None."""
        found = self.all(**values)
        return found[0] if found else None

    def get(self, **values: Any) -> M:
        """The one instance found; the model's DoesNotExist or MultipleObjectsReturned otherwise."""
        found = self.all(**values)
        if len(found) == 1:
            return found[0]
        plan = self._plan()
        if not found:
            raise plan.model.DoesNotExist(
                f"{plan.model._meta.object_name} matching query does not exist."
            )
        raise plan.model.MultipleObjectsReturned(
            f"get() returned more than one {plan.model._meta.object_name}"
        )


class PreparedUpdate(_Compiled):
    """An ``UPDATE`` compiled once per thread; each call runs it and gives the rows changed.

    ``build`` returns the queryset of the rows to change and the values to set, as
    ``QuerySet.update`` takes them; a ``Param`` stands for a value given at each call (with
    its field, which converts it as the ORM converts a saved value)::

        _BUMP = PreparedUpdate(
            lambda: (
                Row.objects.filter(pk=Param("pk", Row._meta.pk), version=Param("version")),
                {"state": Param("state", STATE_FIELD), "version": F("version") + 1},
            )
        )
        changed = _BUMP.run(pk=1, version=3, state={...})

    Only updates of the model's own table (no filter across a relation that Django would turn
    into a sub-select first, no inherited model's parent table): refused when built otherwise.

    With ``returning`` (field names), ``rows()`` gives those columns of each row changed, read
    back by the UPDATE itself (``UPDATE … RETURNING``, PostgreSQL and SQLite 3.35+), where a
    read before the update would be a statement of its own.
    """

    def __init__(
        self,
        build: Callable[[], tuple[QuerySet[Any], dict[str, Any]]],
        *,
        returning: tuple[str, ...] = (),
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        super().__init__(using=using)
        self._build = build
        self._returning = returning

    def _compile(self) -> _UpdatePlan:
        queryset, values = self._build()
        query: Any = queryset.query.chain(sql.UpdateQuery)
        query.add_update_values(values)
        query.annotations = {}
        compiler = query.get_compiler(using=self._using)
        compiler.pre_sql_setup()
        if query.related_updates or query.count_active_tables() > 1:
            raise TypeError("PreparedUpdate changes one table, filtered on its own columns.")
        text, params = compiler.as_sql()
        plan = _UpdatePlan(compiler.connection, text, tuple(params))
        if self._returning:
            if not compiler.connection.features.can_return_columns_from_insert:
                raise TypeError("This database cannot return the rows an UPDATE changed.")
            meta = query.model._meta
            columns = [meta.get_field(name).get_col(meta.db_table) for name in self._returning]
            qn = compiler.connection.ops.quote_name
            plan.sql += " RETURNING " + ", ".join(qn(col.target.column) for col in columns)
            plan.compiler = compiler
            plan.converters = compiler.get_converters(columns)
        return plan

    def run(self, **values: Any) -> int:
        """Run the UPDATE with these values; the number of rows it changed."""
        plan: _UpdatePlan = self._plan()
        try:
            params = plan.params(values)
        except _NoMatch:
            return 0
        with statement_cursor(plan.connection) as cursor:
            cursor.execute(plan.sql, params)
            if plan.compiler is not None:
                return len(cursor.fetchall())  # SQLite counts returned rows as they are read
            return int(cursor.rowcount)

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        """Run the UPDATE with these values; the ``returning`` columns of each row changed."""
        plan: _UpdatePlan = self._plan()
        if plan.compiler is None:
            raise TypeError("rows() needs the columns to return (returning=…).")
        try:
            params = plan.params(values)
        except _NoMatch:
            return []
        with statement_cursor(plan.connection) as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        return [tuple(row) for row in rows]


class _UpdatePlan:
    """A compiled UPDATE: its connection, SQL text and parameters' template."""

    def __init__(self, connection: Any, text: str, template: tuple[Any, ...]) -> None:
        self.connection, self.sql, self.template = connection, text, template
        self.names = _names(template)
        #: With ``returning``: the compiler and converters of the columns read back.
        self.compiler: Any = None
        self.converters: dict[int, Any] = {}

    def params(self, values: dict[str, Any]) -> list[Any]:
        return _params(self.connection, self.template, self.names, values)


#: The most rows ``PreparedSave.bulk_create`` sends in one statement of its own (a step writes
#: a handful; more, as in an import, go to ``bulk_create`` and its batches).
MANY_ROWS = 50


class PreparedSave(_Compiled, Generic[M]):
    """``obj.save()`` for one model, with its INSERT and its UPDATE compiled once per thread.

    A step of a case writes a handful of single rows (its timeline entry, a task, a
    notification, a visit of the process) and saves the case and the task it changed. Through
    ``Model.save()`` each of these statements is compiled again, field by field; here the
    SQL text is made once and each call only converts the instance's values::

        _TASK_SAVE = PreparedSave(Task)
        _TASK_SAVE.save(task)                      # as task.save()
        entry = _ENTRY_SAVE.create(case=case, …)   # as TimelineEntry.objects.create(…)

    What ``save()`` does for a plain model, in the same order: a new instance
    (``_state.adding``) is inserted and the columns the database makes (the auto key) are read
    back; a loaded one has every concrete column but the key updated by its key. Each field's
    ``pre_save`` (``auto_now``, a file committed to storage) and ``get_db_prep_save`` convert
    the values, and an error marks the transaction for rollback as ``save()`` does. The rare
    cases are left to ``save()`` itself: a model with ``pre_save``/``post_save`` receivers,
    deferred fields, a value that is an expression (``F()``), an auto key set by hand, a loaded
    instance whose row is gone. Models that override ``save()``, with a parent table, a
    database default, a generated column, ``order_with_respect_to`` or a field with its own
    placeholder are refused when compiled.
    """

    def __init__(self, model: type[M], *, using: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(using=using)
        self.model = model

    def _compile(self) -> _SavePlan:
        return _SavePlan(self.model, self._using)

    def create(self, **values: Any) -> M:
        """A new instance made of ``values`` and inserted, as ``Model.objects.create``."""
        return self.save(self.model(**values))

    def bulk_create(self, objs: list[M]) -> list[M]:
        """``Model.objects.bulk_create(objs)``: the new rows in one compiled INSERT.

        One row is ``save()``'s INSERT; several are one ``INSERT … VALUES (…), (…)`` whose
        text is made once per number of rows, their keys read back in order. A model with
        receivers (which ``bulk_create`` does not call either), a key given by hand and more
        rows than ``MANY_ROWS`` go to ``bulk_create`` itself.
        """
        if not objs:
            return []
        if pre_save.has_listeners(self.model) or post_save.has_listeners(self.model):
            return self.model._default_manager.bulk_create(objs)
        if len(objs) == 1:
            self.save(objs[0])
        elif not self._plan().insert_many(objs):
            return self.model._default_manager.bulk_create(objs)
        return objs

    def save(self, obj: M) -> M:
        """Insert or update ``obj`` as ``obj.save()`` would; ``obj`` is given back."""
        plan: _SavePlan = self._plan()
        if pre_save.has_listeners(self.model) or post_save.has_listeners(self.model):
            done = False
        elif any(hasattr(value, "resolve_expression") for value in obj.__dict__.values()):
            done = False  # an F() or another expression: save() resolves it
        elif obj._state.adding:
            done = plan.insert(obj)
        else:
            done = plan.update(obj)
        if not done:
            obj.save(using=self._using)
        return obj


class _SavePlan:
    """The compiled INSERT and UPDATE of one model (see ``PreparedSave``)."""

    def __init__(self, model: type[Model], alias: str) -> None:
        opts = model._meta
        connection = connections[alias]
        fields = [f for f in opts.local_concrete_fields if not f.generated]
        if (
            # What an overridden save() adds would be skipped.
            model.save is not Model.save
            or model.save_base is not Model.save_base
            or opts.parents
            or opts.order_with_respect_to
            or len(opts.pk_fields) != 1
            or any(
                f.generated or f.has_db_default()  # type: ignore[attr-defined]  # not in stubs
                for f in opts.local_concrete_fields
            )
            or any(hasattr(f, "get_placeholder") for f in fields)
        ):
            raise TypeError(f"PreparedSave cannot save {opts.label}: use Model.save().")
        self.model, self.alias, self.connection = model, alias, connection
        self.pk = opts.pk
        self.auto = opts.auto_field
        qn = connection.ops.quote_name
        table = qn(opts.db_table)
        # INSERT: every column but an auto key, which the database makes and gives back.
        self.insert_fields = [f for f in fields if f is not self.auto]
        self.returning = list(opts.db_returning_fields)
        self.insert_head = "{} {} ({}) VALUES ".format(
            connection.ops.insert_statement(),
            table,
            ", ".join(qn(f.column) for f in self.insert_fields),
        )
        self.insert_row = "({})".format(", ".join(["%s"] * len(self.insert_fields)))
        self.returning_params: tuple[Any, ...] = ()
        self.returning_sql = ""
        self.can_return = bool(
            self.returning and connection.features.can_return_columns_from_insert
        )
        if self.can_return:
            returning_sql, returning_params = connection.ops.return_insert_columns(self.returning)
            self.returning_sql = f" {returning_sql}" if returning_sql else ""
            self.returning_params = tuple(returning_params)
        self.insert_sql = self.insert_head + self.insert_row + self.returning_sql
        #: The INSERT of several rows, by their number (made when first used).
        self.many_sql: dict[int, str] = {}
        compiler = sql.InsertQuery(model).get_compiler(using=alias)
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [f.get_col(opts.db_table) for f in self.returning]
        )
        # UPDATE: every column but the key, by the key.
        self.update_fields = [f for f in fields if f is not self.pk]
        # Names from the model's options, quoted by the backend; the values are parameters.
        self.update_sql = "UPDATE {} SET {} WHERE {}.{} = %s".format(  # noqa: S608
            table,
            ", ".join(f"{qn(f.column)} = %s" for f in self.update_fields),
            table,
            qn(self.pk.column),
        )

    def _values(self, obj: Model, fields: list[Any], add: bool) -> list[Any]:
        connection = self.connection
        return [field.get_db_prep_save(field.pre_save(obj, add), connection) for field in fields]

    def insert(self, obj: Model) -> bool:
        if obj.pk is not None if self.auto is not None else not self.pk.has_default():
            # A key given by hand (or a key without a default): save() tries an UPDATE first.
            return False
        if obj.pk is None:
            obj.pk = self.pk.get_pk_value_on_save(obj)  # type: ignore[attr-defined]
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        with transaction.mark_for_rollback_on_error(using=self.alias):
            params = self._values(obj, self.insert_fields, True)
            connection = self.connection
            with statement_cursor(connection) as cursor:
                cursor.execute(self.insert_sql, params)
                if self.can_return:
                    rows = [
                        connection.ops.fetch_returned_insert_columns(cursor, self.returning_params)
                    ]
                elif self.returning:
                    rows = [
                        (
                            connection.ops.last_insert_id(
                                cursor, self.model._meta.db_table, self.pk.column
                            ),
                        )
                    ]
                else:
                    rows = []
        self._saved([obj], rows)
        return True

    def _saved(self, objs: list[Any], rows: list[Any]) -> None:
        """Give each new instance the columns the database made (its key) and mark it saved."""
        if rows and self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        for index, obj in enumerate(objs):
            if rows:  # none when the model has no column made by the database
                for value, field in zip(rows[index], self.returning, strict=True):
                    setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = self.alias

    def insert_many(self, objs: list[Any]) -> bool:
        """Insert ``objs`` in one statement as ``bulk_create`` does; False: left to it."""
        connection = self.connection
        if (
            len(objs) > MANY_ROWS
            or not (self.can_return and connection.features.can_return_rows_from_bulk_insert)
            or any(obj.pk is not None for obj in objs)
            or self.auto is None
        ):
            return False
        text = self.many_sql.get(len(objs))
        if text is None:
            values = ", ".join([self.insert_row] * len(objs))
            text = self.many_sql[len(objs)] = self.insert_head + values + self.returning_sql
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        params: list[Any] = []
        with transaction.mark_for_rollback_on_error(using=self.alias):
            for obj in objs:
                params.extend(self._values(obj, self.insert_fields, True))
            with statement_cursor(connection) as cursor:
                cursor.execute(text, params)
                rows = cursor.fetchall()  # RETURNING: one row a new row, in order
        if len(rows) != len(objs):
            raise RuntimeError(f"{len(objs)} rows inserted, {len(rows)} keys read back")
        self._saved(objs, rows)
        return True

    def update(self, obj: Model) -> bool:
        if obj.pk is None or obj.get_deferred_fields():
            return False  # save() updates the loaded fields only, or inserts
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        with transaction.mark_for_rollback_on_error(using=self.alias):
            params = self._values(obj, self.update_fields, False)
            params.append(self.pk.get_db_prep_value(obj.pk, self.connection))
            with statement_cursor(self.connection) as cursor:
                cursor.execute(self.update_sql, params)
                if cursor.rowcount == 0:
                    return False  # the row is gone: save() inserts it again, as it would
        obj._state.db = self.alias
        return True
