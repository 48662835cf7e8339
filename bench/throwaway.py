"""What every PostgreSQL benchmark does first: run itself again inside a throw-away server.

``scripts/with-throwaway-postgres`` starts PostgreSQL on loopback, exports its DATABASE_URL and
runs the command given; the benchmark is re-run there with ``--inner`` and its own arguments.
A DATABASE_URL of the caller's is dropped, so that a benchmark never touches a real database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
#: The interpreter the benchmarks run under (the project's virtualenv when there is one).
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable


def rerun_in_throwaway_postgres(script: str, arguments: Sequence[str] | None = None) -> int:
    """Run ``script --inner arguments`` (by default this process's own arguments) inside a
    throw-away PostgreSQL, and return its exit status."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [
        str(ROOT / "scripts" / "with-throwaway-postgres"),
        PYTHON,
        str(Path(script).resolve()),
        "--inner",
        *(sys.argv[1:] if arguments is None else arguments),
    ]
    return subprocess.run(command, env=env, check=False).returncode
