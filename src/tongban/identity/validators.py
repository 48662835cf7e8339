"""Django validators for Chinese identity numbers (the checks are in ``core.gbcodes``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from tongban.core.gbcodes import (
    ID_CHECK,
    ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    USCC_WEIGHTS,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)

__all__ = [
    "ID_CHECK",
    "ID_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_AUTHORITIES",
    "USCC_WEIGHTS",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_problem",
    "uscc_check_char",
    "uscc_problem",
    "validate_resident_id",
    "validate_uscc",
]


def validate_resident_id(value: str) -> None:
    problem = resident_id_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_resident_id")


def validate_uscc(value: str) -> None:
    problem = uscc_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_uscc")
