"""The state machine of a policy application (申报): states, actions, and the transitions.

Every write in ``applications.services`` asks :func:`check_transition` first, so an impossible
step (paying an application nobody approved, approving one that was never accepted…) is refused
with a clear Chinese reason, which the API answers as 409.

    draft ──submit──▶ submitted ──accept(受理)──▶ under_review ──approve──▶ approved
                        │  ▲                         │    │                    │
                  return│  │resubmit          return │    │reject        publicize(公示)
                        ▼  │                         ▼    ▼                    ▼
                      returned ◀─────────────────────┘  rejected           publicity ──pay(兑现)──▶ paid

A firm may withdraw any application that is not yet decided.
"""

from __future__ import annotations

from django.db import models

from portal.errors import TransitionNotAllowed


class Status(models.TextChoices):
    DRAFT = "draft", "待企业确认"
    SUBMITTED = "submitted", "待受理"
    RETURNED = "returned", "退回补正"
    UNDER_REVIEW = "under_review", "审核中"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "未通过"
    PUBLICITY = "publicity", "公示中"
    PAID = "paid", "已兑现"
    WITHDRAWN = "withdrawn", "已撤回"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交申报"
    ACCEPT = "accept", "受理"
    RETURN = "return", "退回补正"
    RESUBMIT = "resubmit", "补正后重新提交"
    APPROVE = "approve", "审核通过"
    REJECT = "reject", "审核不通过"
    PUBLICIZE = "publicize", "公示"
    PAY = "pay", "兑现"
    WITHDRAW = "withdraw", "撤回"
    COMMENT = "comment", "留言"


#: Not yet decided: at most one such application per firm and policy (a DB constraint).
OPEN_STATES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.UNDER_REVIEW})
#: Granted: these count against one-time awards and yearly caps.
GRANTED_STATES = frozenset({Status.APPROVED, Status.PUBLICITY, Status.PAID})
#: Waiting for the district office.
STAFF_QUEUE_STATES = frozenset(
    {Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED, Status.PUBLICITY}
)
CLOSED_STATES = frozenset({Status.REJECTED, Status.PAID, Status.WITHDRAWN})

#: action -> (states it may start from, state it leads to; None keeps the current state).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    Action.SUBMIT: (frozenset({Status.DRAFT}), Status.SUBMITTED),
    Action.ACCEPT: (frozenset({Status.SUBMITTED}), Status.UNDER_REVIEW),
    Action.RETURN: (frozenset({Status.SUBMITTED, Status.UNDER_REVIEW}), Status.RETURNED),
    Action.RESUBMIT: (frozenset({Status.RETURNED}), Status.SUBMITTED),
    Action.APPROVE: (frozenset({Status.UNDER_REVIEW}), Status.APPROVED),
    Action.REJECT: (frozenset({Status.SUBMITTED, Status.UNDER_REVIEW}), Status.REJECTED),
    Action.PUBLICIZE: (frozenset({Status.APPROVED}), Status.PUBLICITY),
    Action.PAY: (frozenset({Status.PUBLICITY}), Status.PAID),
    Action.WITHDRAW: (frozenset(OPEN_STATES), Status.WITHDRAWN),
    Action.COMMENT: (frozenset(Status.values), None),
}

FIRM_ACTIONS = frozenset({Action.SUBMIT, Action.RESUBMIT, Action.WITHDRAW})
STAFF_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.RETURN,
        Action.APPROVE,
        Action.REJECT,
        Action.PUBLICIZE,
        Action.PAY,
    }
)


def status_label(value: str) -> str:
    return dict(Status.choices).get(value, value)


def action_label(value: str) -> str:
    if value == "create":
        return "生成待确认申报（免申即享）"
    return dict(Action.choices).get(value, value)


def allowed(status: str, action: str) -> bool:
    """True when ``action`` may be taken on an application in ``status``."""
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
