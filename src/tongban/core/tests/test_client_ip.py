"""The client's address behind proxies (core/client_ip.py) and the lockout that relies on it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from tongban.conftest import CAST_PASSWORD
from tongban.core.client_ip import client_ip, trusted_proxies_parse


def _request(peer: str, forwarded: str = "") -> Any:
    meta = {"REMOTE_ADDR": peer}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_a_forwarded_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = 0
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_with_one_trusted_hop_the_address_before_it_is_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXIES = 1
    # The client forged the first entry; the proxy appended the real one.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"


def test_with_trusted_networks_the_first_address_outside_them_is_the_client(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ("10.0.0.0/8", "192.168.1.10")
    request = _request("10.0.0.2", "6.6.6.6, 198.51.100.7, 192.168.1.10")
    assert client_ip(request) == "198.51.100.7"
    # A peer outside the networks is the client itself, whatever it forwards.
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_garbage_in_the_forwarded_header_is_skipped(settings: Any) -> None:
    settings.TRUSTED_PROXIES = 1
    assert client_ip(_request("10.0.0.2", "not-an-ip, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2", "\x00, <script>")) == "10.0.0.2"


def test_the_setting_parses_counts_and_networks_and_refuses_typos() -> None:
    assert trusted_proxies_parse("") == 0
    assert trusted_proxies_parse("2") == 2
    assert trusted_proxies_parse("10.0.0.0/8, ::1") == ("10.0.0.0/8", "::1")
    with pytest.raises(ValueError):
        trusted_proxies_parse("10.0.0.0/33")


@pytest.mark.django_db
def test_a_stranger_elsewhere_cannot_lock_a_citizen_out(
    client: Client, applicant: User, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = 1
    stranger = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post("/login/", {"username": applicant.username, "password": "wrong"}, **stranger)
    locked = client.post(
        "/login/", {"username": applicant.username, "password": "wrong"}, **stranger
    )
    assert locked.status_code == 429
    # The citizen, from their own address behind the same proxy, still signs in.
    citizen = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.5"}
    response = Client().post(
        "/login/", {"username": applicant.username, "password": CAST_PASSWORD}, **citizen
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_is_styled_and_says_when_to_try_again(
    client: Client, applicant: User, settings: Any
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": applicant.username, "password": "wrong"})
    response = client.post("/login/", {"username": applicant.username, "password": "wrong"})
    assert response.status_code == 429
    text = response.content.decode()
    assert "<html" in text and "分钟后再试" in text and 'href="/"' in text
    assert int(response["Retry-After"]) > 0
