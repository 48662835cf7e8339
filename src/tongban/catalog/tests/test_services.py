from __future__ import annotations

import pytest

from tongban.catalog.models import MaterialRequirement, Matter, MatterVersion
from tongban.catalog.selectors import matter_version_get
from tongban.catalog.services import (
    department_upsert,
    form_schema_check,
    matter_upsert,
    synonym_upsert,
)
from tongban.catalog.tests.factories import (
    department_make,
    material_make,
    matter_fields,
    matter_make,
    section_make,
)
from tongban.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.fixture
def basics() -> None:
    department_make()
    section_make()


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ([], "JSON 对象"),
        ({"type": "strng"}, "JSON Schema"),
        ({"type": "array", "items": {}}, "object"),
        ({"type": "object"}, "properties"),
        ({"type": "object", "properties": {"a": {"type": 5}}}, "properties.a.type"),
        ({"type": "object", "properties": {}, "required": ["name"]}, "name"),
        # Delivery is chosen once, on the case: a form field would be a second answer.
        (
            {"type": "object", "properties": {"delivery_method": {"type": "string"}}},
            "delivery_method",
        ),
    ],
)
def test_form_schema_check_refuses_a_broken_schema(schema: object, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        form_schema_check(schema=schema)
    [error] = exc.value.errors
    assert error.field == "form_schema"
    assert fragment in str(error.message)


def test_form_schema_check_accepts_an_object_schema() -> None:
    form_schema_check(
        schema={
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": 50}},
            "required": ["name"],
        }
    )


def test_upsert_refuses_a_broken_form_schema_and_saves_nothing(basics: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(form_schema={"type": "object", "properties": {"x": {"type": 1}}}),
            materials=[material_make()],
        )
    assert _fields_of(exc) == {"form_schema"}
    assert not Matter.objects.exists()
    assert not MaterialRequirement.objects.exists()


def test_upsert_refuses_a_promised_limit_beyond_the_legal_limit(basics: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(legal_limit_days=10, promised_limit_days=12),
            materials=[],
        )
    assert _fields_of(exc) == {"promised_limit_days"}
    assert "法定时限" in str(exc.value.errors[0].message)
    assert not Matter.objects.exists()


def test_upsert_refuses_an_unknown_department_and_section(basics: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(department="nowhere", section="nosuch"),
            materials=[],
        )
    assert _fields_of(exc) == {"department", "section"}
    assert "nowhere" in str(exc.value.errors[0].message)
    assert not Matter.objects.exists()


def test_upsert_refuses_a_duplicate_material_code(basics: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(),
            materials=[material_make("licence", "营业执照"), material_make("licence", "许可证")],
        )
    assert _fields_of(exc) == {"materials[1].code"}
    assert not Matter.objects.exists()


def test_upsert_refuses_bad_choices_channels_and_unknown_fields(basics: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(
                audience="martians", online_depth="telepathy", channels=["fax"], colour="red"
            ),
            materials=[material_make(form="carved-in-stone")],
        )
    assert _fields_of(exc) == {
        "audience",
        "online_depth",
        "channels",
        "colour",
        "materials[0].form",
    }
    assert not Matter.objects.exists()


def test_upsert_refuses_a_new_matter_without_required_fields(basics: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_upsert(code="bare", fields={"name": "空事项"}, materials=[])
    assert {"kind", "audience", "department", "section", "online_depth"} <= _fields_of(exc)


def test_upsert_publishes_version_one_with_the_whole_guide(basics: None) -> None:
    matter = matter_make(
        materials=[material_make(shared_resource="market.business-licence"), material_make("x")]
    )
    assert matter.version == 1
    guide = MatterVersion.objects.get(matter=matter, version=1).guide
    assert guide["name"] == "食品经营许可"
    assert guide["department"] == {"code": "market", "name": "市场监管局", "name_en": ""}
    assert guide["fee"] == "0.00"
    assert [m["code"] for m in guide["materials"]] == ["application-form", "x"]
    assert guide["materials"][0]["shared_resource"] == "market.business-licence"
    assert guide["materials"][1]["shared_resource"] is None
    assert "食品" in matter.search_text


def test_changing_a_guide_creates_version_two_and_version_one_stays_readable(
    basics: None,
) -> None:
    matter_make()
    matter = matter_make(promised_limit_days=3, materials=[material_make(), material_make("b")])
    assert matter.version == 2
    old = matter_version_get(code="food-business-licence", version=1)
    new = matter_version_get(code="food-business-licence", version=2)
    assert old.guide["promised_limit_days"] == 5
    assert len(old.guide["materials"]) == 1
    assert new.guide["promised_limit_days"] == 3
    assert len(new.guide["materials"]) == 2


def test_upserting_the_same_guide_again_creates_no_version(basics: None) -> None:
    matter_make()
    matter_make()
    matter = matter_make()
    assert matter.version == 1
    assert MatterVersion.objects.count() == 1


def test_removing_a_material_deletes_it_and_keeps_the_others_rows(basics: None) -> None:
    matter = matter_make(materials=[material_make("a"), material_make("b")])
    kept = MaterialRequirement.objects.get(matter=matter, code="a").pk
    matter_make(materials=[material_make("a", "新名称")])
    assert list(matter.materials.values_list("pk", "name")) == [(kept, "新名称")]


def test_department_upsert_is_idempotent_and_refuses_bad_values() -> None:
    first = department_upsert(code="tax", fields={"name": "税务局", "order": 3})
    again = department_upsert(code="tax", name="税务局", order=3)
    assert first.pk == again.pk
    assert first.updated_at == again.updated_at
    with pytest.raises(ValidationFailed) as exc:
        department_upsert(code="tax", fields={"order": -1, "colour": "red"})
    assert _fields_of(exc) == {"order", "colour"}


def test_synonym_upsert_refuses_an_empty_expansion() -> None:
    synonym_upsert(term="开饭店", expansions=["餐饮", "食品经营"])
    assert synonym_upsert(term="开饭店", expansions="餐饮，食品经营").expansions == "餐饮 食品经营"
    with pytest.raises(ValidationFailed) as exc:
        synonym_upsert(term="开饭店", expansions=" ")
    assert _fields_of(exc) == {"expansions"}


def test_form_schema_check_refuses_a_field_order_that_is_not_a_list() -> None:
    with pytest.raises(ValidationFailed) as exc:
        form_schema_check(schema={"type": "object", "properties": {}, "x-order": "a,b"})
    assert "x-order" in str(exc.value.errors[0].message)
