"""Backup and restore: the database and the media files in one consistent archive.

The archive is a tar file::

    manifest.json            format, vendor, time, tables (rows, checksum), files (size, sha256)
    database.dump            PostgreSQL: ``pg_dump --format=custom`` in the exported snapshot
    database.sqlite3         SQLite: a copy made with SQLite's online backup API
    media/<name>             every stored file a row of the snapshot refers to

**The consistency rule**: the database snapshot decides. One snapshot is taken first (a
``REPEATABLE READ`` transaction whose snapshot ``pg_dump --snapshot`` shares; on SQLite the
backup API's copy). The media in the archive are exactly the files that snapshot's file
columns name, copied right after the snapshot is taken and before the (slow) dump: a file
uploaded during the backup belongs to a row the snapshot does not see and is left out; a file
the snapshot names always exists, because an upload stores the file before its row commits and
a replaced file is deleted only after the replacing row commits. If such a deletion wins the
race the backup stops with an error instead of writing an archive that misses a file. The row
counts and row checksums of every table are taken in the same snapshot and checked again after
a restore.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "tongban-backup/1"
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the operator."""


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    files: int


# --- helpers ------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).hex()
    return value


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of every installed model."""
    found: list[tuple[str, str]] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_fields:
            if isinstance(field, models.FileField):
                found.append((model._meta.db_table, field.column))
    return sorted(set(found))


def table_fingerprints(cursor: Any) -> dict[str, dict[str, Any]]:
    """Rows and a SHA-256 over the rows (in primary-key order) of every table of the database."""
    quote = connection.ops.quote_name
    result: dict[str, dict[str, Any]] = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        primary_key = connection.introspection.get_primary_key_column(cursor, table)
        order = f" ORDER BY {quote(primary_key)}" if primary_key else ""
        cursor.execute(f"SELECT * FROM {quote(table)}{order}")  # noqa: S608 (introspected names)
        digest = hashlib.sha256()
        rows = 0
        while batch := cursor.fetchmany(2000):
            for row in batch:
                digest.update(
                    json.dumps([_plain(v) for v in row], default=str, ensure_ascii=False).encode()
                )
                digest.update(b"\n")
                rows += 1
        # Without a primary key the order is not defined: only the count is compared.
        result[table] = {"rows": rows, "sha256": digest.hexdigest() if primary_key else None}
    return result


def _referenced_files(cursor: Any) -> list[str]:
    quote = connection.ops.quote_name
    names: set[str] = set()
    existing = set(connection.introspection.table_names(cursor))
    for table, column in file_columns():
        if table not in existing:
            continue
        cursor.execute(
            f"SELECT DISTINCT {quote(column)} FROM {quote(table)} "  # noqa: S608
            f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} <> ''"
        )
        names.update(row[0] for row in cursor.fetchall())
    return sorted(names)


def _safe_media_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\x00" in name:
        raise BackupError(_("不安全的文件路径：%(name)s") % {"name": name[:200]})
    return path


def pg_binary(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: from PATH, else the newest Debian server directory."""
    found = shutil.which(name)
    if found:
        return found
    for directory in sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True):
        candidate = Path(directory) / name
        if candidate.is_file():
            return str(candidate)
    raise BackupError(_("找不到 %(name)s，请安装 PostgreSQL 客户端") % {"name": name})


def _pg_env() -> dict[str, str]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = {**os.environ}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command: list[str], *, env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1]
        raise BackupError(
            _("%(program)s 失败：%(error)s") % {"program": Path(command[0]).name, "error": last}
        )


# --- backup -------------------------------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[tuple[Any, str | None]]:
    """A read-only transaction on one snapshot; on PostgreSQL its id for ``pg_dump``."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            yield cursor, cursor.fetchone()[0]
    else:
        raise BackupError(_("不支持的数据库：%(vendor)s") % {"vendor": connection.vendor})


def _copy_media(names: list[str], staging: Path) -> dict[str, dict[str, Any]]:
    media_root = Path(settings.MEDIA_ROOT)
    files: dict[str, dict[str, Any]] = {}
    for name in names:
        relative = _safe_media_name(name)
        source = media_root / relative
        target = staging / "media" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:
            raise BackupError(
                _("数据库引用的文件已不存在（备份期间被删除？请重新备份）：%(name)s")
                % {"name": name}
            ) from None
        files[MEDIA_PREFIX + str(relative)] = {
            "size": target.stat().st_size,
            "sha256": _sha256_file(target),
        }
    return files


def backup_create(*, archive: Path) -> dict[str, Any]:
    """Write database and media to ``archive`` (a tar file); returns the manifest."""
    if archive.exists():
        raise BackupError(_("目标文件已存在：%(path)s") % {"path": archive})
    if not archive.parent.is_dir():
        raise BackupError(_("目录不存在：%(path)s") % {"path": archive.parent})
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(_("不支持的数据库：%(vendor)s") % {"vendor": vendor})
    with tempfile.TemporaryDirectory(prefix="tongban-backup-", dir=archive.parent) as tmp:
        staging = Path(tmp)
        dump = staging / DUMP_NAMES.get(vendor, "database")
        if vendor == "postgresql":
            with _snapshot() as (cursor, snapshot_id):
                # Files first, right after the snapshot: the window for a release is shortest.
                files = _copy_media(_referenced_files(cursor), staging)
                _run(
                    [
                        pg_binary("pg_dump"),
                        "--format=custom",
                        f"--snapshot={snapshot_id}",
                        "--no-owner",
                        "--no-privileges",
                        f"--file={dump}",
                    ],
                    env=_pg_env(),
                )
                tables = table_fingerprints(cursor)
        else:
            # SQLite: the backup API's copy is the snapshot; files and checksums are read from it.
            connection.ensure_connection()
            copy = sqlite3.connect(dump)
            try:
                connection.connection.backup(copy)
                cursor = copy.cursor()
                files = _copy_media(_referenced_files(cursor), staging)
                tables = table_fingerprints(cursor)
            finally:
                copy.close()
        files[dump.name] = {"size": dump.stat().st_size, "sha256": _sha256_file(dump)}
        manifest = {
            "format": FORMAT,
            "vendor": vendor,
            "created_at": timezone.now().isoformat(),
            "database": dump.name,
            "tables": tables,
            "files": files,
        }
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            for name in sorted(files):
                tar.add(staging / name, arcname=name, recursive=False)
        partial.replace(archive)  # never a half-written archive under the final name
    return manifest


# --- restore ------------------------------------------------------------------------------------


def _read_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Unpack and check every member against the manifest; raises BackupError on any fault."""
    if not archive.is_file():
        raise BackupError(_("备份文件不存在：%(path)s") % {"path": archive})
    try:
        with tarfile.open(archive, "r:") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            if MANIFEST not in names:
                raise BackupError(_("备份文件缺少 manifest.json"))
            for member in members:
                if not member.isfile():
                    raise BackupError(
                        _("备份文件含有非普通文件：%(name)s") % {"name": member.name[:200]}
                    )
                known = member.name == MANIFEST or member.name in DUMP_NAMES.values()
                if not known and not member.name.startswith(MEDIA_PREFIX):
                    raise BackupError(
                        _("备份文件含有未知成员：%(name)s") % {"name": member.name[:200]}
                    )
                _safe_media_name(member.name)
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(
            _("备份文件已损坏或不完整：%(error)s") % {"error": str(exc)[:200]}
        ) from None
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        tables: dict[str, dict[str, Any]] = manifest["tables"]
        vendor = manifest["vendor"]
        database = manifest["database"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(_("manifest.json 格式错误")) from None
    if manifest.get("format") != FORMAT or not isinstance(files, dict) or not tables:
        raise BackupError(_("manifest.json 格式错误"))
    if DUMP_NAMES.get(vendor) != database or database not in files:
        raise BackupError(_("manifest.json 格式错误"))
    present = {name for name in names if name != MANIFEST}
    missing = sorted(set(files) - present)
    extra = sorted(present - set(files))
    if missing or extra:
        raise BackupError(
            _("备份文件与清单不符：缺少 %(missing)s，多出 %(extra)s")
            % {"missing": missing[:3] or "-", "extra": extra[:3] or "-"}
        )
    for name, expected in sorted(files.items()):
        path = into / name
        if path.stat().st_size != expected.get("size") or _sha256_file(path) != expected.get(
            "sha256"
        ):
            raise BackupError(_("校验和不符：%(name)s") % {"name": name})
    return manifest


def _restore_media(root: Path, manifest: dict[str, Any], *, force: bool) -> list[Path]:
    """Check the media targets (no overwrite without force); returns what to copy."""
    media_root = Path(settings.MEDIA_ROOT)
    names = [n for n in manifest["files"] if n.startswith(MEDIA_PREFIX)]
    if not force:
        for name in names:
            target = media_root / _safe_media_name(name[len(MEDIA_PREFIX) :])
            if target.exists() and _sha256_file(target) != manifest["files"][name]["sha256"]:
                raise BackupError(
                    _("媒体目录中已有不同的同名文件（--force 覆盖）：%(name)s") % {"name": name}
                )
    return [root / name for name in names]


def restore_archive(*, archive: Path, force: bool = False) -> RestoreResult:
    """Restore ``archive`` into the configured database and MEDIA_ROOT, then verify it.

    Refuses a database that already has tables unless ``force``; every check (archive, manifest,
    checksums, vendor, target) runs before anything is written.
    """
    with tempfile.TemporaryDirectory(prefix="tongban-restore-") as tmp:
        root = Path(tmp)
        manifest = _read_archive(archive, root)
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                _("备份来自 %(source)s，不能恢复到 %(target)s")
                % {"source": manifest["vendor"], "target": connection.vendor}
            )
        with connection.cursor() as cursor:
            existing = connection.introspection.table_names(cursor)
        if existing and not force:
            raise BackupError(
                _("目标数据库不是空的（%(count)s 张表）；恢复到空数据库，或用 --force 覆盖")
                % {"count": len(existing)}
            )
        media = _restore_media(root, manifest, force=force)
        dump = root / manifest["database"]
        if connection.vendor == "postgresql":
            command = [pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
            if existing:
                command += ["--clean", "--if-exists"]
            command += ["--single-transaction", f"--dbname={settings.DATABASES['default']['NAME']}"]
            connection.close()
            _run([*command, str(dump)], env=_pg_env())
        else:
            connection.close()
            source = sqlite3.connect(dump)
            target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        media_root = Path(settings.MEDIA_ROOT)
        for path in media:
            target_path = media_root / path.relative_to(root / "media")
            target_path.parent.mkdir(parents=True, exist_ok=True)
            partial = target_path.with_name(target_path.name + ".restoring")
            shutil.copyfile(path, partial)
            partial.replace(target_path)
    if connection.vendor == "sqlite":
        # Raw rows, as the backup read them (Django's SQLite connection converts some types).
        raw = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            restored = table_fingerprints(raw.cursor())
        finally:
            raw.close()
    else:
        with connection.cursor() as cursor:
            restored = table_fingerprints(cursor)
    expected = manifest["tables"]
    differing = sorted(
        t
        for t in expected
        if t not in restored
        or restored[t]["rows"] != expected[t]["rows"]
        or (expected[t]["sha256"] and restored[t]["sha256"] != expected[t]["sha256"])
    )
    if differing:
        raise BackupError(
            _("恢复后的数据与备份不符：%(tables)s") % {"tables": ", ".join(differing[:5])}
        )
    return RestoreResult(
        tables=len(expected),
        rows=sum(int(t["rows"]) for t in expected.values()),
        files=len(media),
    )
