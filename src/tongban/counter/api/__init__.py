"""The counter API: 批前指导 / 预审, the queue (取号/叫号) and appointments (预约)."""

from __future__ import annotations

from ninja import Router

from tongban.counter.api import appointments, guidance, queue

router = Router()
router.add_router("", guidance.router)
router.add_router("", queue.router)
router.add_router("", appointments.router)

__all__ = ["router"]
