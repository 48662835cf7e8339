from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.certificates import services
from tongban.certificates.models import Certificate
from tongban.identity.models import Enterprise, User

pytestmark = pytest.mark.django_db

Bearer = Callable[[User], dict[str, str]]


def _post(client: Client, body: object) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_the_holder_gets_the_certificate_with_payload_and_signature(
    api_client: Client, bearer: Bearer, agent_user: User, certificate: Certificate
) -> None:
    response = api_client.get(f"/api/v1/certificates/{certificate.number}", **bearer(agent_user))
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == certificate.number
    assert body["type"]["name"] == "食品经营许可证"
    assert body["holder"]["name"] == "上海通办示范科技有限公司"
    assert body["status"] == "valid"
    assert body["payload"] == certificate.payload
    assert body["signature"] == certificate.signature
    # What GET returns is exactly what the offline check accepts.
    verdict = _post(api_client, {"payload": body["payload"], "signature": body["signature"]})
    assert verdict == {
        "valid": True,
        "reason": "签名有效",
        "status": "valid",
        "key_id": certificate.key_id,
    }


def test_issuing_staff_get_the_certificate_and_its_pdf(
    api_client: Client, bearer: Bearer, clerk: User, certificate: Certificate
) -> None:
    assert (
        api_client.get(f"/api/v1/certificates/{certificate.number}", **bearer(clerk)).status_code
        == 200
    )
    response = api_client.get(f"/api/v1/certificates/{certificate.number}/pdf", **bearer(clerk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["outsider", "police_clerk", "applicant"])
def test_it_hides_the_certificate_from_others(
    api_client: Client,
    bearer: Bearer,
    certificate: Certificate,
    who: str,
    request: pytest.FixtureRequest,
) -> None:
    user = request.getfixturevalue(who)
    for path in ("", "/pdf"):
        response = api_client.get(
            f"/api/v1/certificates/{certificate.number}{path}", **bearer(user)
        )
        assert response.status_code == 404
        assert response.json()["detail"] == "证照不存在"


def test_it_refuses_an_anonymous_caller(api_client: Client, certificate: Certificate) -> None:
    assert api_client.get(f"/api/v1/certificates/{certificate.number}").status_code == 401


def test_anyone_verifies_a_number_and_sees_the_holder_masked(
    api_client: Client, certificate: Certificate, enterprise: Enterprise
) -> None:
    response = api_client.get(f"/api/v1/verify/{certificate.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["status"] == "valid"
    assert body["type"]["name"] == "食品经营许可证"
    assert body["holder"]["subject"] != enterprise.uscc
    assert body["holder"]["subject"].startswith(enterprise.uscc[:3])
    assert "*" in body["holder"]["subject"]
    assert body["revoked_at"] is None


def test_a_persons_name_is_masked_on_verification(
    api_client: Client, applicant: User, matter: object
) -> None:
    from tongban.certificates.tests.factories import approved_case

    issued = services.certificate_issue(case=approved_case(matter=matter, user=applicant))  # type: ignore[arg-type]
    assert issued is not None
    body = api_client.get(f"/api/v1/verify/{issued.number}").json()
    assert body["holder"]["name"] == "张*"
    assert applicant.person.id_number not in json.dumps(body)


def test_an_unknown_number_is_not_found(api_client: Client, db: None) -> None:
    response = api_client.get("/api/v1/verify/FBL202600009999")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"] == "证照不存在"


def test_revocation_shows_on_verification_with_when_and_why(
    api_client: Client, certificate: Certificate, approver: User
) -> None:
    services.certificate_revoke(actor=approver, certificate=certificate, reason="许可条件不再具备")
    body = api_client.get(f"/api/v1/verify/{certificate.number}").json()
    assert body["valid"] is False
    assert body["status"] == "revoked"
    assert body["revoked_at"] is not None
    assert body["revocation_reason"] == "许可条件不再具备"
    offline = _post(
        api_client, {"payload": certificate.payload, "signature": certificate.signature}
    )
    assert offline["valid"] is False
    assert offline["reason"] == "证照已撤销"


def test_a_tampered_copy_verifies_invalid_with_the_reason(
    api_client: Client, certificate: Certificate
) -> None:
    payload = copy.deepcopy(certificate.payload)
    payload["holder"]["name"] = "冒名公司"
    body = _post(api_client, {"payload": payload, "signature": certificate.signature})
    assert body["valid"] is False
    assert "篡改" in body["reason"]
    tampered = certificate.signature[:-2] + ("AA" if certificate.signature[-2:] != "AA" else "BA")
    body = _post(api_client, {"payload": certificate.payload, "signature": tampered})
    assert body["valid"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"payload": {}},
        {"signature": "abc"},
        {"payload": "not an object", "signature": "abc"},
        {"payload": {}, "signature": ""},
        {"payload": {}, "signature": "a" * 201},
        [1, 2],
    ],
)
def test_verify_refuses_malformed_input(api_client: Client, body: object, db: None) -> None:
    response = api_client.post("/api/v1/verify", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_verify_refuses_invalid_json(api_client: Client, db: None) -> None:
    response = api_client.post("/api/v1/verify", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500


# --- the public page the QR code opens ------------------------------------------------------


def test_the_page_says_valid(client: Client, certificate: Certificate) -> None:
    response = client.get(f"/verify/{certificate.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="verdict">有效<' in html
    assert "食品经营许可证" in html
    assert certificate.holder_subject not in html
    assert 'name="viewport"' in html


def test_the_page_says_revoked_and_when(
    client: Client, certificate: Certificate, approver: User
) -> None:
    revoked = services.certificate_revoke(
        actor=approver, certificate=certificate, reason="撤销测试"
    )
    html = client.get(f"/verify/{certificate.number}/").content.decode()
    assert 'data-testid="verdict">已撤销<' in html
    assert "撤销测试" in html
    from django.utils import timezone

    assert timezone.localtime(revoked.revoked_at).strftime("%Y-%m-%d %H:%M") in html


def test_the_page_says_invalid_when_the_stored_payload_was_altered(
    client: Client, certificate: Certificate
) -> None:
    payload = {**certificate.payload, "valid_until": "2099-12-31"}
    Certificate.objects.filter(pk=certificate.pk).update(payload=payload)
    html = client.get(f"/verify/{certificate.number}/").content.decode()
    assert 'data-testid="verdict">无效<' in html


def test_the_page_of_an_unknown_number_is_a_404(client: Client, db: None) -> None:
    response = client.get("/verify/NOPE123/")
    assert response.status_code == 404
    assert "证照不存在" in response.content.decode()


def test_the_qr_code_text_is_the_page_url(certificate: Certificate) -> None:
    from tongban.certificates.pdf import verify_url

    assert (
        verify_url(certificate.number) == f"https://tongban.example.cn/verify/{certificate.number}/"
    )
