"""``Idempotency-Key``: the same key from the same user for the same operation gives one result.

A record is written in the same transaction as the case it produced, under a
unique constraint on (user, scope, key); a concurrent request with the same key
loses the insert race, rolls back its own work to a savepoint and returns the
winner's case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tongban.cases.models import Case, IdempotencyRecord
from tongban.core.errors import Conflict, FieldError, ValidationFailed
from tongban.core.prepared import Param, Prepared, PreparedSave
from tongban.identity.models import User

KEY_MAX_LENGTH = 200


def request_hash(payload: Any) -> str:
    """SHA-256 of a request body in canonical JSON (sorted keys)."""
    text = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key_check(key: str | None) -> str | None:
    """The key stripped, None when absent; refuse an over-long one."""
    if key is None:
        return None
    key = key.strip()
    if not key:
        return None
    if len(key) > KEY_MAX_LENGTH:
        raise ValidationFailed(
            _("Idempotency-Key 过长"),
            errors=[
                FieldError(
                    field="Idempotency-Key",
                    message=_("不能超过 %(max)s 个字符") % {"max": KEY_MAX_LENGTH},
                )
            ],
        )
    return key


def idempotent_case(*, user: User, scope: str, key: str, payload_hash: str) -> Case | None:
    """The case an earlier request with this key produced, or None; a different body conflicts."""
    record = _RECORD.first(user=user.pk, scope=scope, key=key)
    if record is None:
        return None
    if record.request_hash != payload_hash:
        raise Conflict(
            _("该 Idempotency-Key 已用于另一个不同内容的请求，请使用新的 Idempotency-Key"),
            errors=[FieldError(field="Idempotency-Key", message=_("与之前的请求内容不一致"))],
        )
    return record.case


def idempotent_run(
    *, user: User, scope: str, key: str | None, payload_hash: str, work: Callable[[], Case]
) -> tuple[Case, bool]:
    """Run ``work`` once per key: (the case, whether this call produced it)."""
    if key is None:
        return work(), True
    earlier = idempotent_case(user=user, scope=scope, key=key, payload_hash=payload_hash)
    if earlier is not None:
        return earlier, False
    try:
        with transaction.atomic():  # savepoint: the loser of a race undoes only its own work
            case = work()
            _RECORD_SAVE.create(
                user=user, scope=scope, key=key, request_hash=payload_hash, case=case
            )
    except IntegrityError:
        earlier = idempotent_case(user=user, scope=scope, key=key, payload_hash=payload_hash)
        if earlier is None:
            raise
        return earlier, False
    return case, True


#: Every create and submit with a key reads it: compiled once (core/prepared.py).
_RECORD: Prepared[IdempotencyRecord] = Prepared(
    lambda: (
        IdempotencyRecord.objects.select_related("case")
        .filter(user_id=Param("user", User._meta.pk), scope=Param("scope"), key=Param("key"))
        .order_by("pk")[:1]
    )
)
#: ... and the one that produced a case writes it.
_RECORD_SAVE = PreparedSave(IdempotencyRecord)
