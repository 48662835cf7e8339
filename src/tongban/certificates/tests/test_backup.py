"""`tongban backup` / `tongban restore`: a database with cases, materials and certificates
restored into a fresh database (SQLite here, PostgreSQL under TEST_POSTGRES) compares equal."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tongban.cases.models import Case, CaseMaterial
from tongban.cases.tests.conftest import drainage  # noqa: F401  (fixture)
from tongban.cases.tests.factories import case_submitted
from tongban.certificates.models import Certificate
from tongban.core.backup import table_fingerprints
from tongban.identity.models import User

KEY_TABLES = ("cases_case", "cases_casematerial", "certificates_certificate")


def _restore_env(tmp_path: Path) -> dict[str, str]:
    """A fresh, empty database of the same kind as the test database, and an empty media dir."""
    env = {
        **os.environ,
        "TONGBAN_ENV": "development",
        "TONGBAN_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONPATH": str(Path(settings.BASE_DIR).parent),
    }
    if connection.vendor == "postgresql":
        name = f"restore_{uuid.uuid4().hex[:12]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        db = settings.DATABASES["default"]
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    return env


def _tongban(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, "-m", "tongban.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _restored_fingerprints(env: dict[str, str]) -> dict[str, Any]:
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return table_fingerprints(raw.cursor())
        finally:
            raw.close()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as raw:
        return table_fingerprints(raw.cursor())


def _own_fingerprints() -> dict[str, Any]:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(":memory:")
        connection.connection.backup(copy)
        return table_fingerprints(copy.cursor())
    # The same client as for the restored side: Django's psycopg loaders convert some types.
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return _restored_fingerprints(
        {"DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    )


@pytest.fixture
def filled(
    settings: Any,
    tmp_path: Path,
    applicant: User,
    certificate: Certificate,
    request: pytest.FixtureRequest,
) -> dict[str, Any]:
    settings.MEDIA_ROOT = str(tmp_path / "source-media")
    request.getfixturevalue("drainage")
    case_submitted(applicant=applicant)
    assert CaseMaterial.objects.exclude(file="").count() >= 2
    assert Case.objects.count() >= 2
    media = {
        str(p.relative_to(settings.MEDIA_ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in Path(settings.MEDIA_ROOT).rglob("*")
        if p.is_file()
    }
    return {"media": media}


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_compares_equal(
    filled: dict[str, Any], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive))
    before = _own_fingerprints()
    env = _restore_env(tmp_path)

    done = _tongban(env, "restore", str(archive))

    assert done.returncode == 0, done.stderr
    after = _restored_fingerprints(env)
    assert {t: v["rows"] for t, v in after.items() if t in before} == {
        t: v["rows"] for t, v in before.items()
    }
    for table in KEY_TABLES:
        assert before[table]["rows"] > 0
        assert after[table]["sha256"] == before[table]["sha256"]
    restored_media = {
        str(p.relative_to(tmp_path / "media")): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (tmp_path / "media").rglob("*")
        if p.is_file()
    }
    assert restored_media == filled["media"]

    # A second restore into the now filled database is refused, and changes nothing.
    again = _tongban(env, "restore", str(archive))
    assert again.returncode != 0
    assert "不是空的" in again.stderr
    assert _restored_fingerprints(env) == after


@pytest.mark.django_db(transaction=True)
def test_a_corrupt_or_tampered_archive_is_refused_and_nothing_is_written(
    filled: dict[str, Any], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive))
    data = archive.read_bytes()
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(data[: len(data) // 3])
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w") as target:
        for member in source.getmembers():
            content = source.extractfile(member)
            assert content is not None
            body = content.read()
            if member.name.startswith("media/"):
                body = body.replace(b"%PDF", b"%PDX", 1)
            target.addfile(member, io.BytesIO(body))

    for bad, message in ((truncated, "损坏"), (tampered, "校验和不符")):
        env = _restore_env(tmp_path / bad.stem)
        done = _tongban(env, "restore", str(bad))
        assert done.returncode != 0
        assert message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / bad.stem / "media").exists()
        assert _restored_fingerprints(env) == {}

    with pytest.raises(CommandError, match="不是空的"):
        call_command("restore", str(archive))
