"""factory_boy factories for the portal's models."""

from __future__ import annotations

import factory
from stdnum.cn.uscc import calc_check_digit

from accounts.models import Role, User
from banks.models import Bank, Branch
from enterprises.models import Enterprise
from regions.codes import level_of
from regions.models import IndustryChain, Region


def make_uscc(serial: int, region_code: str = "370911") -> str:
    body = f"9137{region_code[2:6]}MA{serial:07d}"[:17].ljust(17, "0")
    return body + calc_check_digit(body)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "370911"
    name = factory.LazyAttribute(lambda o: f"区域{o.code}")
    level = factory.LazyAttribute(lambda o: level_of(o.code))


class ChainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustryChain

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"产业链{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(lambda n: make_uscc(n + 100000))
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    region = factory.SubFactory(RegionFactory)
    industry_code = "C"
    employees = 50
    annual_revenue_yuan = 10_000_000
    contact_name = "测试联系人"
    contact_phone = "13900001111"


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank

    name = factory.Sequence(lambda n: f"测试银行{n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    bank = factory.SubFactory(BankFactory)
    name = factory.Sequence(lambda n: f"测试支行{n}")
    region = factory.SubFactory(RegionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ENTERPRISE_MEMBER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FinancingNeedFactory(factory.django.DjangoModelFactory):
    """A need saved as-is (no routing): for list and query-count tests."""

    class Meta:
        model = "needs.FinancingNeed"

    enterprise = factory.SubFactory(EnterpriseFactory)
    submitted_by = factory.SubFactory(
        UserFactory, role=Role.ENTERPRISE_MEMBER, enterprise=factory.SelfAttribute("..enterprise")
    )
    amount_yuan = 1_000_000
    term_months = 12
    purpose = "working_capital"
    guarantee_methods = factory.LazyFunction(lambda: ["credit"])
    contact_name = "测试联系人"
    contact_phone = "13900001111"


class PolicyFactory(factory.django.DjangoModelFactory):
    """A policy written through policies.services (so its search columns are filled)."""

    class Meta:
        model = "policies.Policy"

    key = factory.Sequence(lambda n: f"test-policy-{n}")
    title = factory.Sequence(lambda n: f"测试政策{n}")
    issuer = "泰安市人民政府"
    region = factory.SubFactory(RegionFactory)
    category = "科技创新"
    support_type = "奖补"
    beneficiary = "enterprise"
    valid_from = None
    valid_to = None
    summary = ""
    conditions_text = ""
    benefit_text = ""
    source_file = "test.txt"
    source_passage = "测试原文"
    publish = True
    rule = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from policies.services import policy_create

        key, publish, rule = kwargs.pop("key"), kwargs.pop("publish"), kwargs.pop("rule")
        return policy_create(key=key, data=kwargs, rule=rule, publish=publish, notify=False)


class LoanProductFactory(factory.django.DjangoModelFactory):
    """A loan product written through banks.services (so its search columns are filled)."""

    class Meta:
        model = "banks.LoanProduct"

    key = factory.Sequence(lambda n: f"test-product-{n}")
    name = factory.Sequence(lambda n: f"测试贷{n}")
    bank = factory.SubFactory(BankFactory)
    region = factory.SubFactory(RegionFactory)
    product_class = "信用类"
    description = ""
    max_amount_yuan = None
    guarantee_methods = factory.LazyFunction(lambda: ["credit"])
    regions_served = factory.LazyFunction(list)
    source_file = "test.txt"
    source_passage = "测试原文"
    publish = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from banks.services import product_create

        key, publish = kwargs.pop("key"), kwargs.pop("publish")
        return product_create(key=key, data=kwargs, publish=publish, notify=False)
