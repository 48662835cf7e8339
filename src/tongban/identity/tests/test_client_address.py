"""The client address behind proxies, and a lockout a stranger cannot turn against a citizen."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from tongban.conftest import CAST_PASSWORD
from tongban.core.clientip import client_ip, client_ip_for_axes, trusted_proxies_parse
from tongban.identity.models import User

CITIZEN_IP = "10.1.1.1"
STRANGER_IP = "203.0.113.9"
PROXY_IP = "10.0.0.2"


def _token(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def _ip(settings: Any, trusted: Any, remote: str, forwarded: str | None = None) -> str:
    settings.TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_x_forwarded_for_is_ignored_without_the_setting(settings: Any) -> None:
    assert _ip(settings, "", STRANGER_IP, CITIZEN_IP) == STRANGER_IP
    assert _ip(settings, "", STRANGER_IP, "garbage") == STRANGER_IP
    assert _ip(settings, "", "not-an-address") == "unknown"


def test_a_hop_count_takes_the_address_the_nearest_proxies_saw(settings: Any) -> None:
    # The client sent a forged first entry; the one proxy appended what it really saw.
    assert _ip(settings, "1", PROXY_IP, f"{CITIZEN_IP}, {STRANGER_IP}") == STRANGER_IP
    assert _ip(settings, 2, PROXY_IP, f"1.2.3.4, {STRANGER_IP}, 10.0.0.3") == STRANGER_IP
    assert _ip(settings, "1", PROXY_IP) == PROXY_IP
    assert _ip(settings, "1", PROXY_IP, "not-an-ip") == PROXY_IP


def test_networks_count_only_for_a_trusted_peer(settings: Any) -> None:
    nets = "10.0.0.0/24, fd00::/8"
    assert _ip(settings, nets, PROXY_IP, f"{CITIZEN_IP}, {STRANGER_IP}, 10.0.0.7") == STRANGER_IP
    # A peer outside the networks cannot claim another address.
    assert _ip(settings, nets, STRANGER_IP, CITIZEN_IP) == STRANGER_IP
    assert _ip(settings, nets, PROXY_IP, "[2001:db8::1]:443") == "2001:db8::1"


def test_the_setting_is_parsed_as_a_count_or_networks() -> None:
    assert trusted_proxies_parse("") is None
    assert trusted_proxies_parse("0") is None
    assert trusted_proxies_parse("2") == 2
    parsed = trusted_proxies_parse("10.0.0.0/8;192.168.1.0/24")
    assert isinstance(parsed, tuple) and len(parsed) == 2
    with pytest.raises(ValueError):
        trusted_proxies_parse("10.0.0.0/99")


def test_a_stranger_cannot_lock_out_a_citizen_by_forging_the_header(
    api_client: Client, applicant: User, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ""
    for i in range(6):
        _token(
            api_client,
            "zhangsan",
            f"wrong-{i}",
            REMOTE_ADDR=STRANGER_IP,
            HTTP_X_FORWARDED_FOR=CITIZEN_IP,
        )
    assert _token(api_client, "zhangsan", "x", REMOTE_ADDR=STRANGER_IP).status_code == 429
    citizen = _token(api_client, "zhangsan", CAST_PASSWORD, REMOTE_ADDR=CITIZEN_IP)
    assert citizen.status_code == 200


def test_behind_a_proxy_each_citizen_keeps_their_own_lock(
    api_client: Client, applicant: User, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = "1"
    for i in range(6):
        _token(
            api_client,
            "zhangsan",
            f"wrong-{i}",
            REMOTE_ADDR=PROXY_IP,
            HTTP_X_FORWARDED_FOR=STRANGER_IP,
        )
    locked = _token(
        api_client,
        "zhangsan",
        CAST_PASSWORD,
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR=STRANGER_IP,
    )
    assert locked.status_code == 429
    citizen = _token(
        api_client, "zhangsan", CAST_PASSWORD, REMOTE_ADDR=PROXY_IP, HTTP_X_FORWARDED_FOR=CITIZEN_IP
    )
    assert citizen.status_code == 200


def test_an_address_spraying_many_usernames_meets_the_ceiling_then_cools_off(
    api_client: Client, applicant: User, outsider: User, settings: Any
) -> None:
    settings.AXES_IP_FAILURE_LIMIT = 8
    for i in range(8):
        assert _token(api_client, f"guess-{i}", "wrong", REMOTE_ADDR=STRANGER_IP).status_code in (
            401,
            429,
        )
    # Even a username never tried from there, with its right password, waits for the cool-off.
    held = _token(api_client, "wangwu", CAST_PASSWORD, REMOTE_ADDR=STRANGER_IP)
    assert held.status_code == 429 and held["Retry-After"] == "900"
    # Elsewhere nobody is affected.
    assert _token(api_client, "zhangsan", CAST_PASSWORD, REMOTE_ADDR=CITIZEN_IP).status_code == 200
    # The cool-off ends the ceiling.
    settings.AXES_COOLOFF_TIME = 0
    assert _token(api_client, "wangwu", CAST_PASSWORD, REMOTE_ADDR=STRANGER_IP).status_code == 200


def test_signing_in_to_ones_own_account_does_not_reset_the_ceiling(
    api_client: Client, applicant: User, outsider: User, settings: Any
) -> None:
    settings.AXES_IP_FAILURE_LIMIT = 6
    for i in range(4):
        _token(api_client, f"guess-{i}", "wrong", REMOTE_ADDR=STRANGER_IP)
    assert _token(api_client, "wangwu", CAST_PASSWORD, REMOTE_ADDR=STRANGER_IP).status_code == 200
    for i in range(2):
        _token(api_client, f"guess-{i}", "wrong", REMOTE_ADDR=STRANGER_IP)
    assert _token(api_client, "wangwu", CAST_PASSWORD, REMOTE_ADDR=STRANGER_IP).status_code == 429


@pytest.mark.django_db
def test_a_sign_in_without_a_client_address_is_recorded_without_one(applicant: Any) -> None:
    # force_login in a command or a benchmark: no REMOTE_ADDR. On PostgreSQL an "unknown" in
    # axes' IP column would be a database error.
    client = Client(REMOTE_ADDR="")
    client.force_login(applicant)
    assert client_ip_for_axes(RequestFactory().get("/", REMOTE_ADDR="")) is None
