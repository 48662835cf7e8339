"""The portal pages through Django's test client: every page answers, every refusal is clear."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tongban.portal.tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("catalogue")


def html(response: Any) -> str:
    return response.content.decode()


def test_the_home_page_shows_the_entries_sections_themes_and_hot_services(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = html(response)
    assert "嘉定区一网通办" in page
    assert "个人办事" in page and "法人办事" in page
    assert "?audience=person" in page and "?audience=enterprise" in page
    assert "商事登记" in page and "3 项事项" in page
    assert (
        "食品药品经营许可" in page and reverse("portal:theme", args=["food-drug-licence"]) in page
    )
    assert "热门服务" in page and "居住证办理" in page
    assert 'action="/i18n/setlang/"' in page


def test_the_home_page_names_its_language(client: Client) -> None:
    assert '<html lang="zh-hans">' in html(client.get("/"))


def test_search_finds_the_food_business_licence_for_a_restaurant(client: Client) -> None:
    response = client.get("/search/", {"q": "开饭店"})
    assert response.status_code == 200
    page = html(response)
    codes = [m.code for m in response.context["result"].items]
    assert codes[0] == "food-business-licence"
    assert "residence-permit" not in codes
    assert "全程网办" in page and "最多跑1次" in page and "承诺5个工作日" in page


def test_search_shows_zero_visits_and_window_only_badges(client: Client) -> None:
    page = html(client.get("/search/"))
    assert "零跑动" in page
    assert "窗口办理" in page and "网上预审" in page


def test_an_htmx_search_returns_only_the_results(client: Client) -> None:
    response = client.get("/search/", {"q": "居住证"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page
    assert "居住证办理" in page
    assert "HX-Request" in response["Vary"]


def test_search_filters_by_audience(client: Client) -> None:
    response = client.get("/search/", {"audience": "person"})
    assert [m.code for m in response.context["result"].items] == ["residence-permit"]


def test_search_pages_through_the_results(client: Client) -> None:
    response = client.get("/search/", {"page": "99"})
    assert response.status_code == 200
    assert response.context["result"].items == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"audience": "martian"}, "audience", "服务对象只能是"),
        ({"section": "nowhere"}, "section", "板块"),
        ({"department": "nowhere"}, "department", "部门"),
        ({"online_depth": "teleport"}, "online_depth", "网办深度只能是"),
        ({"page": "abc"}, "page", "页码必须是正整数"),
        ({"page": "0"}, "page", "页码必须是正整数"),
        ({"page": "-3"}, "page", "页码必须是正整数"),
    ],
)
def test_search_refuses_a_bad_filter_with_a_field_error(
    client: Client, params: dict[str, str], field: str, message: str
) -> None:
    response = client.get("/search/", params)
    assert response.status_code == 400
    page = html(response)
    assert 'role="alert"' in page
    assert f'data-field="{field}"' in page
    assert message in page


def test_search_refuses_a_10000_character_query(client: Client) -> None:
    response = client.get("/search/", {"q": "饭" * 10_000})
    assert response.status_code == 400
    page = html(response)
    assert "搜索内容不能超过" in page
    assert "饭" * 201 not in page


def test_an_htmx_search_with_a_bad_filter_still_shows_the_error(client: Client) -> None:
    response = client.get("/search/", {"audience": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "服务对象只能是" in html(response)


def test_the_guide_shows_the_whole_matter(client: Client) -> None:
    response = client.get("/matters/food-business-licence/")
    assert response.status_code == 200
    page = html(response)
    for text in [
        "食品经营许可",
        "市场监管局",
        "商事登记",
        "行政许可",
        "法人办事",
        "从事食品销售",
        "受理条件",
        "设定依据",
        "《中华人民共和国食品安全法》",
        "材料清单",
        "营业执照",
        "数据共享，免提交",
        "1 项材料免提交",
        "可容缺",
        "非必需",
        "法定时限",
        "20 个工作日",
        "5 个工作日",
        "免费",
        "最多跑1次",
        "全程网办",
        "网上办理",
        "一楼商事登记板块",
        "021-12345678",
        "需填写的信息",
        "店铺名称",
        "经营场所",
        "在线办理",
    ]:
        assert text in page, text
    assert "/login/?next=%2Fapply%2Ffood-business-licence%2F" in page


def test_the_guide_shows_a_fee_when_there_is_one(client: Client) -> None:
    page = html(client.get("/matters/residence-permit/"))
    assert "20.00 元" in page
    assert "免提交" not in page


def test_an_unknown_matter_is_a_chinese_404_page(client: Client) -> None:
    response = client.get("/matters/no-such-matter/")
    assert response.status_code == 404
    page = html(response)
    assert "您访问的页面不存在" in page
    assert "does not exist" in page


def test_the_theme_page_shows_stages_merged_fields_and_the_combined_licence(
    client: Client,
) -> None:
    response = client.get("/themes/food-drug-licence/")
    assert response.status_code == 200
    page = html(response)
    assert "第 1 步" in page and "第 2 步" in page
    assert "并联办理" in page
    assert "承诺10个工作日" in page
    assert "食品药品经营许可证" in page
    assert page.count("店铺名称") == 1
    assert "执业药师姓名" in page
    stages = response.context["stages"]
    assert [[link.matter.code for link in stage["links"]] for stage in stages] == [
        ["company-registration"],
        ["food-business-licence", "drug-retail-licence"],
    ]


def test_an_unknown_theme_is_a_404(client: Client) -> None:
    assert client.get("/themes/no-such-theme/").status_code == 404


def test_a_section_link_opens_the_search_filtered_by_section(client: Client) -> None:
    response = client.get("/sections/social/")
    assert response.status_code == 302
    assert response["Location"] == "/search/?section=social"


def test_the_login_page_is_chinese(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    page = html(response)
    assert "用户名" in page and "密码" in page


def test_login_refuses_a_wrong_password_with_a_form_error(client: Client, citizen: Any) -> None:
    response = client.post("/login/", {"username": "citizen", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in html(response)
    assert "_auth_user_id" not in client.session


def test_login_with_the_right_password_signs_in_and_goes_home(client: Client, citizen: Any) -> None:
    response = client.post("/login/", {"username": "citizen", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(citizen.pk)
    assert "退出" in html(client.get("/"))


def test_login_refuses_to_follow_a_next_to_another_site(client: Client, citizen: Any) -> None:
    response = client.post(
        "/login/?next=https://evil.example/",
        {"username": "citizen", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_needs_a_post(client: Client, citizen: Any) -> None:
    client.force_login(citizen)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_switching_to_english_shows_english_catalogue_content(client: Client) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/matters/food-business-licence/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/matters/food-business-licence/"
    page = html(client.get("/matters/food-business-licence/"))
    assert '<html lang="en">' in page
    assert "Food Business Licence" in page
    assert "A licence to sell food" in page
    assert "Market Regulation" in page


def test_repeated_wrong_passwords_lock_the_sign_in_without_a_server_error(
    client: Client, citizen: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/login/", {"username": "citizen", "password": "wrong"})
    response = client.post("/login/", {"username": "citizen", "password": PASSWORD})
    assert 400 <= response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_a_history_restore_gets_the_whole_page(client: Client) -> None:
    response = client.get(
        "/search/",
        {"q": "居住证"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in html(response)


def test_pages_load_only_vendored_assets(client: Client) -> None:
    from django.contrib.staticfiles import finders

    page = html(client.get("/"))
    assert "/static/portal/vendor/htmx.min.js" in page
    assert "/static/portal/css/portal.css" in page
    assert "//cdn" not in page and 'src="http' not in page
    assert finders.find("portal/vendor/htmx.min.js")
    assert finders.find("portal/js/portal.js")


def test_the_500_page_renders_without_a_request_context(rf: Any) -> None:
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "服务暂时不可用" in response.content.decode()


def test_the_guide_in_english_shows_english_form_field_titles(client: Client) -> None:
    client.cookies["django_language"] = "en"
    page = html(client.get("/matters/food-business-licence/"))
    assert "Shop name" in page and "店铺名称" not in page
    # A field without an English title keeps its Chinese one rather than vanishing.
    assert "经营场所" in page


def test_the_theme_page_in_english_shows_english_form_field_titles(client: Client) -> None:
    client.cookies["django_language"] = "en"
    page = html(client.get("/themes/food-drug-licence/"))
    assert "Shop name" in page and "店铺名称" not in page


def test_the_guide_in_chinese_keeps_the_chinese_form_field_titles(client: Client) -> None:
    page = html(client.get("/matters/food-business-licence/"))
    assert "店铺名称" in page and "Shop name" not in page
