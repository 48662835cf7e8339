"""Plugins of ``bench/load.py``'s production server (``TONGBAN_PLUGINS=load_plugins``).

Never used outside the benchmark (``bench/`` is put on the server's PYTHONPATH by load.py):

- the sandbox bank: production refuses ``tongban.sandbox.payments`` in TONGBAN_PLUGINS (its
  ``DEVELOPMENT_ONLY`` flag) so that a fake bank can never take real money; the benchmark needs
  *a* bank, so this module imports the sandbox provider (which registers the code ``sandbox``)
  and is itself not flagged. It stands for a district's bank plugin, nothing more.
- the SMS provider ``benchfile``: every message "sent" is appended as one JSON line to the file
  ``$BENCH_SMS_LOG`` (one ``write`` of an ``O_APPEND`` descriptor: whole lines even with several
  processes). The kill test counts these lines to prove that no notification was sent twice or
  lost: it is the side effect the outside world would see.
"""

from __future__ import annotations

import json
import os
import uuid

import tongban.sandbox.payments  # noqa: F401  (registers the payment provider "sandbox")
from tongban.core.sms import SmsError, sms_providers


@sms_providers.register("benchfile")
class FileSmsProvider:
    """Appends each message to ``$BENCH_SMS_LOG``; the message id is a fresh UUID."""

    def send(self, *, phone: str, text: str) -> str:
        path = os.environ.get("BENCH_SMS_LOG", "")
        if not path:
            raise SmsError("BENCH_SMS_LOG is not set")
        message_id = f"bench-{uuid.uuid4().hex}"
        line = json.dumps({"id": message_id, "phone": phone, "text": text}, ensure_ascii=False)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return message_id
