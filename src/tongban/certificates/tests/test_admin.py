from __future__ import annotations

import pytest
from django.test import Client

from tongban.certificates.models import Certificate, SigningKey
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db: None) -> Client:
    user = User.objects.create_superuser("root", "root@example.cn", "root-pass-2026")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_lists_certificates_read_only(
    admin_client_: Client, certificate: Certificate
) -> None:
    listing = admin_client_.get("/admin/certificates/certificate/")
    assert listing.status_code == 200
    assert certificate.number in listing.content.decode()
    # The holder's number is masked in the list.
    assert certificate.holder_subject not in listing.content.decode()
    detail = admin_client_.get(f"/admin/certificates/certificate/{certificate.pk}/change/")
    assert detail.status_code == 200
    assert 'name="holder_name"' not in detail.content.decode()
    assert admin_client_.get("/admin/certificates/certificate/add/").status_code == 403
    response = admin_client_.post(
        f"/admin/certificates/certificate/{certificate.pk}/change/", {"holder_name": "改名"}
    )
    assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.holder_name == "上海通办示范科技有限公司"
    assert (
        admin_client_.post(f"/admin/certificates/certificate/{certificate.pk}/delete/").status_code
        == 403
    )


def test_the_admin_never_shows_a_private_key(
    admin_client_: Client, certificate: Certificate
) -> None:
    key = SigningKey.objects.get(key_id=certificate.key_id)
    html = admin_client_.get(f"/admin/certificates/signingkey/{key.pk}/change/").content.decode()
    assert key.public_key in html
    assert key.private_key_encrypted not in html
    assert admin_client_.get("/admin/certificates/signingkey/add/").status_code == 403
