"""``tongban restore ARCHIVE``: restore a ``tongban backup`` archive into an empty database.

Every check (archive intact, manifest checksums, same database vendor, empty target database,
no different file under MEDIA_ROOT) runs before anything is written; ``--force`` restores
over an existing database and files. Afterwards the row counts and row checksums of every
table are compared with the manifest. Run ``tongban migrate`` afterwards when the code is
newer than the backup.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongban.core.backup import BackupError, restore_archive


class Command(BaseCommand):
    help = "Restore a backup archive into an empty database and MEDIA_ROOT, then verify it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", help="an archive written by `tongban backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore over a database that already has tables, and over existing files",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_archive(archive=Path(options["archive"]), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("恢复完成并已校验：%(tables)s 张表，%(rows)s 行，%(files)s 个文件")
            % {"tables": result.tables, "rows": result.rows, "files": result.files}
        )
