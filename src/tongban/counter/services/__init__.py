"""Changes of the counter app: 批前指导 (guidance), the queue, appointments.

The public names live in the modules and are re-exported here, so
``from tongban.counter.services import ticket_issue`` works.
"""

from tongban.counter.services.appointments import (
    appointment_book,
    appointment_cancel,
    appointment_no_shows_mark,
    booking_suspension_of,
)
from tongban.counter.services.guidance import (
    ANSWERING_ROLES,
    GUIDANCE_PARAMS,
    MAX_ANSWER,
    MAX_CHECKED_ITEM_LENGTH,
    MAX_CHECKED_ITEMS,
    MAX_DESCRIPTION,
    OPENING_HOURS,
    guidance_answer,
    guidance_for_application,
    guidance_mark_used,
    guidance_request,
    matter_guidance_kinds,
)
from tongban.counter.services.queue import (
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)

__all__ = [
    "ANSWERING_ROLES",
    "GUIDANCE_PARAMS",
    "MAX_ANSWER",
    "MAX_CHECKED_ITEMS",
    "MAX_CHECKED_ITEM_LENGTH",
    "MAX_DESCRIPTION",
    "OPENING_HOURS",
    "appointment_book",
    "appointment_cancel",
    "appointment_no_shows_mark",
    "booking_suspension_of",
    "guidance_answer",
    "guidance_for_application",
    "guidance_mark_used",
    "guidance_request",
    "matter_guidance_kinds",
    "ticket_call_next",
    "ticket_finish",
    "ticket_issue",
    "ticket_no_show",
    "ticket_recall",
    "ticket_start",
    "ticket_transfer",
]
