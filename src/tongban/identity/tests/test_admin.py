import pytest
from django.test import Client

from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.identity.models import ApiToken, Enterprise, Person, User
from tongban.identity.services import api_token_create_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root-pass-1"))
    return client


def test_the_admin_refuses_an_invalid_resident_id(admin_client_: Client) -> None:
    response = admin_client_.post(
        "/admin/identity/person/add/", {"name": "张三", "id_number": "110105194912310021"}
    )
    assert response.status_code == 200
    assert "身份证号校验码错误" in response.content.decode()
    assert not Person.objects.exists()


def test_the_admin_stores_the_check_character_in_upper_case(admin_client_: Client) -> None:
    response = admin_client_.post(
        "/admin/identity/person/add/", {"name": "张三", "id_number": "11010519491231002x"}
    )
    assert response.status_code == 302
    assert Person.objects.get().id_number == "11010519491231002X"


def test_the_admin_refuses_a_duplicate_in_another_spelling(admin_client_: Client) -> None:
    Person.objects.create(name="张三", id_number="11010519491231002X")
    response = admin_client_.post(
        "/admin/identity/person/add/", {"name": "张三丰", "id_number": "11010519491231002x"}
    )
    assert response.status_code == 200
    assert Person.objects.count() == 1


def test_the_admin_refuses_an_invalid_credit_code(admin_client_: Client) -> None:
    response = admin_client_.post(
        "/admin/identity/enterprise/add/",
        {
            "uscc": "91350100M000100Y44",
            "name": "示例公司",
            "agents-TOTAL_FORMS": "0",
            "agents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "统一社会信用代码校验码错误" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_the_person_list_shows_only_masked_numbers(admin_client_: Client, applicant: User) -> None:
    page = admin_client_.get("/admin/identity/person/").content.decode()
    assert "310***********" + APPLICANT_ID_NUMBER[-4:] in page
    assert APPLICANT_ID_NUMBER not in page


def test_the_person_list_finds_people_by_name(admin_client_: Client, applicant: User) -> None:
    page = admin_client_.get("/admin/identity/person/", {"q": "张三"}).content.decode()
    assert "张三" in page


def test_the_token_pages_never_show_a_token(admin_client_: Client, applicant: User) -> None:
    token, _ = api_token_create_for(user=applicant)
    stored = ApiToken.objects.get()
    listing = admin_client_.get("/admin/identity/apitoken/").content.decode()
    detail = admin_client_.get(f"/admin/identity/apitoken/{stored.pk}/change/").content.decode()
    for page in (listing, detail):
        assert token not in page
        assert stored.token_hash not in page
    assert admin_client_.get("/admin/identity/apitoken/add/").status_code == 403


def test_every_identity_admin_page_opens(
    admin_client_: Client, agent_user: User, clerk: User
) -> None:
    for model in ("user", "person", "enterprise", "agent", "staffprofile", "apitoken"):
        assert admin_client_.get(f"/admin/identity/{model}/").status_code == 200
        assert admin_client_.get(f"/admin/identity/{model}/", {"q": "li"}).status_code == 200


def test_a_center_admin_reaches_the_admin_site(center_admin: User) -> None:
    client = Client()
    client.force_login(center_admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/identity/person/").status_code == 403


def test_a_clerk_does_not_reach_the_admin_site(clerk: User) -> None:
    client = Client()
    client.force_login(clerk)
    assert client.get("/admin/").status_code == 302


def test_the_admin_adds_a_user(admin_client_: Client) -> None:
    response = admin_client_.post(
        "/admin/identity/user/add/",
        {
            "username": "zhaoliu",
            "password1": "a-long-pass-2026",
            "password2": "a-long-pass-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="zhaoliu").check_password("a-long-pass-2026")


def test_the_admin_edits_a_phone_number(admin_client_: Client, applicant: User) -> None:
    page = admin_client_.get(f"/admin/identity/user/{applicant.pk}/change/").content.decode()
    assert 'name="phone"' in page
