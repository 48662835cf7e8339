"""``tongban backup ARCHIVE``: the database and the media files in one consistent tar archive.

See ``tongban.core.backup`` for the format and the consistency rule. Safe in production: it
only reads, and writes nothing but the new archive (refusing to overwrite one).
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongban.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the media files into one archive (a tar file)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", help="path of the new archive, e.g. tongban-2026-12-04.tar")

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"]).absolute()
        try:
            manifest = backup_create(archive=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(int(t["rows"]) for t in manifest["tables"].values())
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            _("备份完成：%(path)s（%(tables)s 张表，%(rows)s 行，%(files)s 个文件）")
            % {"path": archive, "tables": len(manifest["tables"]), "rows": rows, "files": media}
        )
