"""Shared data of the needs tests."""

from __future__ import annotations

import pytest

from accounts.models import Role
from banks.models import LeadBank
from needs.models import FinancingNeed
from needs.services import financing_need_submit
from tests.factories import BranchFactory, ChainFactory, UserFactory

NEED_DATA = {
    "amount_yuan": 3_000_000,
    "term_months": 12,
    "purpose": "working_capital",
    "guarantee_methods": ["credit", "mortgage"],
    "description": "采购原材料，订单增加",
    "contact_name": "陈静",
    "contact_phone": "13805381234",
}


@pytest.fixture
def need_data() -> dict:
    return dict(NEED_DATA)


@pytest.fixture
def world(personas, regions):
    """The personas, with the firm on 岱岳区's 新材料 chain, whose two lead banks are the
    persona ``branch`` (created first, so it wins ties) and a second branch ``branch2``."""
    chain = ChainFactory(region=regions["daiyue"], name="新材料")
    branch2 = BranchFactory(region=regions["daiyue"], name="第二主办银行岱岳支行")
    LeadBank.objects.create(chain=chain, branch=personas["branch"])
    LeadBank.objects.create(chain=chain, branch=branch2)
    firm = personas["firm"]
    firm.industry_chain = chain
    firm.save(update_fields=["industry_chain"])
    officer2 = UserFactory(username="officer2", role=Role.BANK_OFFICER, branch=branch2)
    return {**personas, "chain": chain, "branch2": branch2, "officer2": officer2}


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Submit a need as ``user`` and run what its commit schedules (routing), as in production."""

    def _submit(user, **changes) -> FinancingNeed:
        with django_capture_on_commit_callbacks(execute=True):
            need = financing_need_submit(
                enterprise=user.enterprise, submitted_by=user, data={**NEED_DATA, **changes}
            )
        need.refresh_from_db()
        return need

    return _submit


@pytest.fixture
def run_commit(django_capture_on_commit_callbacks):
    """Call a service and run what its commit schedules, as a request would."""

    def _run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return _run
