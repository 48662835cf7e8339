"""Texts stored in Chinese read back in the reader's language."""

from __future__ import annotations

from django.utils import translation

from tongban.cases.choices import (
    ROUTE_REASONS_WITH_VALUES,
    TIMELINE_COMMENTS_WITH_VALUES,
    TIMELINE_STEPS_WITH_VALUES,
)
from tongban.core.i18n import stored_parts, stored_text


def test_a_message_of_ours_is_translated() -> None:
    with translation.override("en"):
        assert stored_text("提交申请") == "Submit application"
    with translation.override("zh-hans"):
        assert stored_text("提交申请") == "提交申请"


def test_a_message_with_values_is_recognised_and_its_values_translated() -> None:
    step = "审批路径：告知承诺（无不良信用记录）"
    with translation.override("en"):
        english = stored_text(step, TIMELINE_STEPS_WITH_VALUES)
    assert english.startswith("Approval route: ")
    assert "no bad credit record" in english
    assert not any("\u4e00" <= c <= "\u9fff" for c in english)


def test_what_a_person_typed_stays_as_it_was_written() -> None:
    with translation.override("en"):
        assert (
            stored_text("请补充租赁合同第二页", TIMELINE_STEPS_WITH_VALUES)
            == "请补充租赁合同第二页"
        )
        assert stored_text("") == ""


def test_a_refusal_reason_keeps_its_legal_basis() -> None:
    reason = "列入失信联合惩戒黑名单，依据《某某规定》实施联合惩戒"
    with translation.override("en"):
        english = stored_text(reason, ROUTE_REASONS_WITH_VALUES)
    assert english.startswith("on the blacklist for joint punishment of dishonesty")
    assert "《某某规定》" in english


def test_a_data_sharing_note_of_several_parts_reads_in_english() -> None:
    note = "已通过数据共享获取 2 项材料，无需提交：营业执照、身份证；已预填 3 项申请信息"
    with translation.override("en"):
        english = stored_parts(note, TIMELINE_COMMENTS_WITH_VALUES)
    assert english == (
        "Materials obtained through data sharing (no need to submit): 2: 营业执照、身份证; "
        "Application information pre-filled: 3 items"
    )
    with translation.override("zh-hans"):
        assert stored_parts(note, TIMELINE_COMMENTS_WITH_VALUES) == note


def test_the_material_names_in_a_note_read_in_english_when_the_case_knows_them() -> None:
    note = "已通过数据共享获取 2 项材料，无需提交：营业执照、身份证；已预填 3 项申请信息"
    names = {"营业执照": "Business licence", "身份证": "Resident ID card"}
    with translation.override("en"):
        english = stored_parts(note, TIMELINE_COMMENTS_WITH_VALUES, names)
    assert english.startswith(
        "Materials obtained through data sharing (no need to submit): 2: "
        "Business licence, Resident ID card; "
    )
    # A name the case does not know in English stays as it was stored; the others translate.
    with translation.override("en"):
        partly = stored_parts(note, TIMELINE_COMMENTS_WITH_VALUES, {"身份证": "Resident ID card"})
    assert "营业执照, Resident ID card" in partly
    with translation.override("zh-hans"):
        assert stored_parts(note, TIMELINE_COMMENTS_WITH_VALUES, names) == note
