from __future__ import annotations

import pytest

from tongban.catalog.models import Matter, Theme
from tongban.catalog.services import theme_form_schema, theme_upsert
from tongban.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_theme_form_asks_each_field_once_and_records_who_asks_it(
    catalogue: dict[str, Matter],
) -> None:
    schema = theme_form_schema(theme=Theme.objects.get(code="open-company"))
    assert list(schema["properties"]) == [
        "company_name",
        "legal_representative",
        "registered_capital",
        "seal_count",
        "invoice_type",
    ]
    assert schema["required"] == [
        "company_name",
        "legal_representative",
        "seal_count",
        "invoice_type",
    ]
    assert schema["x-matters"]["company_name"] == [
        "company-registration",
        "seal-engraving",
        "invoice-application",
    ]
    assert schema["x-matters"]["seal_count"] == ["seal-engraving"]


def test_first_definition_of_a_shared_field_wins(catalogue: dict[str, Matter]) -> None:
    theme_upsert(
        code="open-company",
        fields={},
        matters=[
            {"matter": "invoice-application", "order": 1},
            {"matter": "company-registration", "order": 2},
        ],
    )
    schema = theme_form_schema(theme=Theme.objects.get(code="open-company"))
    assert list(schema["properties"])[:2] == ["company_name", "invoice_type"]
    assert schema["x-matters"]["company_name"] == ["invoice-application", "company-registration"]
    assert "seal_count" not in schema["properties"]


def test_theme_upsert_is_idempotent(catalogue: dict[str, Matter]) -> None:
    theme = Theme.objects.get(code="open-company")
    links = list(theme.theme_matters.values_list("pk", "matter__code", "stage"))
    theme_upsert(
        code="open-company",
        fields={"name": "开办企业", "audience": "enterprise", "section": "commerce"},
        matters=[
            {"matter": "company-registration", "order": 1, "stage": 1},
            {"matter": "seal-engraving", "order": 2, "stage": 2},
            {"matter": "invoice-application", "order": 3, "stage": 2},
        ],
    )
    assert list(theme.theme_matters.values_list("pk", "matter__code", "stage")) == links


def test_theme_upsert_refuses_unknown_and_repeated_matters(catalogue: dict[str, Matter]) -> None:
    with pytest.raises(ValidationFailed) as exc:
        theme_upsert(
            code="new-theme",
            fields={
                "name": "新主题",
                "audience": "enterprise",
                "section": "nowhere",
                "promised_limit_days": 5,
            },
            matters=[
                {"matter": "company-registration"},
                {"matter": "company-registration"},
                {"matter": "no-such-matter"},
            ],
        )
    assert {e.field for e in exc.value.errors} == {"section", "matters[1]", "matters[2]"}
    assert not Theme.objects.filter(code="new-theme").exists()


def test_field_order_survives_storage_whatever_the_database(
    catalogue: dict[str, Matter],
) -> None:
    from tongban.catalog.services import form_field_order

    matter = Matter.objects.get(code="company-registration")
    assert form_field_order(matter.form_schema) == [
        "company_name",
        "legal_representative",
        "registered_capital",
    ]
    assert matter.form_schema["x-order"] == form_field_order(matter.form_schema)
