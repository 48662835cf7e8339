"""The address check: every field error at once, in Chinese, and nothing saved."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.core.errors import ValidationFailed
from tongban.delivery import regions
from tongban.delivery.services import delivery_address_clean
from tongban.delivery.tests.factories import address


def _errors(**overrides: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        delivery_address_clean(address=address(**overrides))
    return {e.field: str(e.message) for e in caught.value.errors}


def test_it_accepts_and_normalises_a_shanghai_address() -> None:
    clean = delivery_address_clean(
        address=address(
            recipient=" 张三 ",
            phone="+86 138-0000-1234",
            province="上海",
            city="上海",
            district="浦东",
        )
    )
    assert clean == {
        "recipient": "张三",
        "phone": "13800001234",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "address": "嘉定镇街道博乐路70号",
    }


def test_it_accepts_a_city_of_another_province_with_its_district_as_written() -> None:
    clean = delivery_address_clean(
        address=address(province="浙江省", city="杭州", district="西湖区")
    )
    assert (clean["province"], clean["city"], clean["district"]) == ("浙江省", "杭州市", "西湖区")


@pytest.mark.parametrize("phone", ["1380000123", "12800001234", "23800001234", "1380000123a", ""])
def test_it_refuses_a_phone_that_is_not_a_mainland_mobile(phone: str) -> None:
    assert _errors(phone=phone) == {"address.phone": "请填写有效的中国大陆手机号"}


def test_it_refuses_an_unknown_shanghai_district() -> None:
    assert _errors(district="西湖区") == {"address.district": "“西湖区”不是上海市的区县"}


def test_it_refuses_a_city_not_in_the_province() -> None:
    assert _errors(province="江苏省", city="杭州市", district="西湖区") == {
        "address.city": "“杭州市”不属于江苏省"
    }


def test_it_refuses_an_unknown_province() -> None:
    assert _errors(province="火星省") == {"address.province": "“火星省”不是有效的省份"}


def test_it_refuses_a_too_short_or_too_long_address_and_recipient() -> None:
    assert _errors(address="博乐路") == {"address.address": "详细地址应为5至200个字"}
    assert _errors(address="路" * 201) == {"address.address": "详细地址应为5至200个字"}
    assert _errors(recipient="") == {"address.recipient": "请填写收件人"}
    assert _errors(recipient="张" * 51) == {"address.recipient": "收件人不能超过50个字"}


def test_it_reports_every_bad_field_at_once() -> None:
    errors = _errors(recipient="", phone="123", district="", address="短")
    assert set(errors) == {
        "address.recipient",
        "address.phone",
        "address.district",
        "address.address",
    }


def test_it_refuses_something_that_is_not_an_address() -> None:
    with pytest.raises(ValidationFailed) as caught:
        delivery_address_clean(address="上海市嘉定区")
    assert caught.value.field_errors() == [{"field": "address", "message": "请填写收件地址"}]


def test_the_table_knows_31_provinces_and_all_16_districts_of_shanghai() -> None:
    assert len(regions.CITIES) == 31
    assert len(regions.DISTRICTS["上海市"]) == 16
    assert "嘉定区" in regions.DISTRICTS["上海市"]
    for province, cities in regions.CITIES.items():
        assert cities, province
        for city in cities:
            assert regions.city_find(province=province, name=city) == city
