"""Production code never loads the demo district: only the demo app and the CLI import it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: What the demo app itself brings into every process: its AppConfig, which registers the
#: production check that refuses demo accounts, and that check.  No data, no loader.
DEMO_APP_MODULES = {"tongban.demo", "tongban.demo.apps", "tongban.demo.accounts"}

PROBE = """
import importlib, json, os, pkgutil, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
import django
django.setup()
def demo():
    return sorted(m for m in sys.modules if m == "tongban.demo" or m.startswith("tongban.demo."))
at_start = demo()
names = ["tongban.urls", "tongban.portal.views_data", "tongban.api.main"]
for app in ("tongban.exchange", "tongban.credit"):
    package = importlib.import_module(app)
    for info in pkgutil.walk_packages(package.__path__, app + "."):
        if ".tests" not in info.name and ".migrations" not in info.name:
            names.append(info.name)
for name in names:
    importlib.import_module(name)
print(json.dumps({"at_start": at_start, "after": demo(), "imported": names}))
"""


def test_the_data_pages_and_the_exchange_and_credit_apps_load_no_demo_module() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tongban.settings"}
    result = subprocess.run(  # noqa: S603  (this interpreter, our own probe)
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert "tongban.portal.views_data" in found["imported"]
    assert "tongban.exchange.catalogue" in found["imported"]
    assert "tongban.credit.services" in found["imported"]
    assert set(found["at_start"]) <= DEMO_APP_MODULES
    assert found["after"] == found["at_start"]
