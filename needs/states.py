"""The case state machine of a financing need: states, actions, and the transitions between them.

Every write in ``needs.services`` asks :func:`check_transition` first, so an impossible step
(disbursing a need nobody accepted, rating an open case…) is refused with a clear Chinese reason,
which the API answers as 409.
"""

from __future__ import annotations

from django.db import models

from portal.errors import TransitionNotAllowed


class Status(models.TextChoices):
    PENDING = "pending", "待派单"
    POOL = "pool", "区县待分配"
    ASSIGNED = "assigned", "待接单"
    ACCEPTED = "accepted", "已接单"
    CONTACTED = "contacted", "已对接"
    MATERIALS = "materials", "待补充材料"
    PROPOSED = "proposed", "已出方案"
    APPROVED = "approved", "已授信"
    DISBURSED = "disbursed", "已放款"
    WITHDRAWN = "withdrawn", "已撤回"


class Action(models.TextChoices):
    ROUTE = "route", "派单"
    STAFF_ASSIGN = "staff_assign", "区县分配"
    ACCEPT = "accept", "接单"
    CONTACT = "contact", "首次对接"
    REQUEST_MATERIALS = "request_materials", "要求补充材料"
    PROVIDE_MATERIALS = "provide_materials", "补充材料"
    PROPOSE = "propose", "提出方案"
    APPROVE = "approve", "授信"
    DISBURSE = "disburse", "放款"
    DECLINE = "decline", "退回"
    TRANSFER = "transfer", "行内转办"
    ASSIGN_OFFICER = "assign_officer", "分配客户经理"
    WITHDRAW = "withdraw", "撤回"
    ANOTHER_BANK = "another_bank", "申请更换银行"
    RATE = "rate", "评价"
    COMMENT = "comment", "留言"


#: States in which a bank holds the case.
BANK_STATES = frozenset(
    {
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.CONTACTED,
        Status.MATERIALS,
        Status.PROPOSED,
        Status.APPROVED,
    }
)
#: States in which the case is still open (counted as a bank's open load, watched by deadlines).
OPEN_STATES = frozenset({Status.PENDING, Status.POOL, *BANK_STATES})
CLOSED_STATES = frozenset({Status.DISBURSED, Status.WITHDRAWN})
#: States after the bank's decision (授信 or 退回) for the time-to-decision statistics.
DECIDED_STATES = frozenset({Status.APPROVED, Status.DISBURSED})

_WORKING = (Status.ACCEPTED, Status.CONTACTED, Status.MATERIALS, Status.PROPOSED)

#: action -> (states it may start from, state it leads to; None keeps the current state).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    Action.ROUTE: (frozenset({Status.PENDING}), None),  # to ASSIGNED or POOL
    Action.STAFF_ASSIGN: (frozenset({Status.POOL}), Status.ASSIGNED),
    Action.ACCEPT: (frozenset({Status.ASSIGNED}), Status.ACCEPTED),
    Action.CONTACT: (frozenset({Status.ACCEPTED}), Status.CONTACTED),
    Action.REQUEST_MATERIALS: (
        frozenset({Status.CONTACTED, Status.PROPOSED}),
        Status.MATERIALS,
    ),
    Action.PROVIDE_MATERIALS: (frozenset({Status.MATERIALS}), Status.CONTACTED),
    Action.PROPOSE: (frozenset({Status.CONTACTED}), Status.PROPOSED),
    Action.APPROVE: (frozenset({Status.CONTACTED, Status.PROPOSED}), Status.APPROVED),
    Action.DISBURSE: (frozenset({Status.APPROVED}), Status.DISBURSED),
    Action.DECLINE: (frozenset({Status.ASSIGNED, *_WORKING}), Status.PENDING),
    Action.TRANSFER: (frozenset({Status.ASSIGNED, *_WORKING}), None),
    Action.ASSIGN_OFFICER: (frozenset({Status.ASSIGNED, *_WORKING}), None),
    Action.WITHDRAW: (
        frozenset({Status.PENDING, Status.POOL, Status.ASSIGNED, *_WORKING}),
        Status.WITHDRAWN,
    ),
    Action.ANOTHER_BANK: (frozenset({Status.ASSIGNED, *_WORKING}), Status.PENDING),
    Action.RATE: (frozenset({Status.DISBURSED, Status.WITHDRAWN}), None),
    Action.COMMENT: (frozenset(Status.values), None),
}


def status_label(value: str) -> str:
    return dict(Status.choices).get(value, value)


def action_label(value: str) -> str:
    return dict(Action.choices).get(value, value)


def allowed(status: str, action: str) -> bool:
    """True when ``action`` may be taken on a case in ``status``."""
    sources, _ = TRANSITIONS[action]
    return status in sources


def check_transition(status: str, action: str) -> str:
    """The state ``action`` leads to from ``status``; raises TransitionNotAllowed otherwise."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionNotAllowed(
            f"当前状态为「{status_label(status)}」，不能{action_label(action)}。"
        )
    return target or status
