"""The cases API: applications and tasks, what a case produces (payment, delivery), and the
center's output window (统一出件)."""

from __future__ import annotations

from ninja import Router

from tongban.cases.api import applications, micro, output_window, processes, results, studio
from tongban.cases.api.applications import case_out, task_out

router = Router()
router.add_router("", applications.router)
router.add_router("", results.router)
router.add_router("", output_window.router)
router.add_router("", micro.router)
router.add_router("", studio.router)
router.add_router("", processes.router)

__all__ = ["case_out", "router", "task_out"]
