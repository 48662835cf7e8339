"""A department's REST endpoint for the HTTP provider's tests: a real server on loopback.

    python -m tongban.exchange.tests.fake_provider --port 0 --secret S

prints ``LISTENING <port>`` once it accepts connections.  ``POST /records``
checks X-Tongban-Signature and answers ``{"record": ...}``; ``POST /_control``
``{"mode": "normal" | "slow" | "500" | "garbage", "reset": true}`` switches the
behaviour; ``GET /_stats`` returns ``{"calls", "bad_signatures", "mode"}``.
Standard library only: it must not import Django.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RECORDS: dict[str, dict[str, Any]] = {
    "91310114MA1GKF8T1P": {"name": "上海通办示范科技有限公司", "legal_rep": "李四", "extra": "x"},
}


class State:
    def __init__(self, secret: str, slow_seconds: float) -> None:
        self.secret = secret
        self.slow_seconds = slow_seconds
        self.mode = "normal"
        self.calls = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()


def handler_for(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"))

        def do_GET(self) -> None:
            if self.path == "/_stats":
                with state.lock:
                    stats = {
                        "calls": state.calls,
                        "bad_signatures": state.bad_signatures,
                        "mode": state.mode,
                    }
                self._json(200, stats)
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            if self.path == "/_control":
                command = json.loads(body or b"{}")
                with state.lock:
                    state.mode = command.get("mode", state.mode)
                    if command.get("reset"):
                        state.calls = 0
                        state.bad_signatures = 0
                self._json(200, {"mode": state.mode})
                return
            if self.path != "/records":
                self._json(404, {"error": "not found"})
                return
            with state.lock:
                state.calls += 1
                mode = state.mode
            expected = hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            given = self.headers.get("X-Tongban-Signature", "")
            if not self.headers.get("X-Tongban-Key-Id") or not hmac.compare_digest(expected, given):
                with state.lock:
                    state.bad_signatures += 1
                self._json(401, {"error": "bad signature"})
                return
            request = json.loads(body)
            if abs(time.time() - int(request["timestamp"])) > 300 or not request.get("nonce"):
                self._json(401, {"error": "stale request"})
                return
            if mode == "slow":
                time.sleep(state.slow_seconds)
            elif mode == "500":
                self._json(500, {"error": "internal"})
                return
            elif mode == "garbage":
                self._send(200, b"<html>maintenance</html>", "text/html")
                return
            self._json(200, {"record": RECORDS.get(request["subject"])})

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--slow-seconds", type=float, default=1.5)
    args = parser.parse_args(argv)
    state = State(args.secret, args.slow_seconds)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(state))
    server.daemon_threads = True
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
