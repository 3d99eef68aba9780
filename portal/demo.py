"""Demo data: the Qingdao and Tai'an regions and chains of the seeds, banks, synthetic firms and the
accounts of ``shared/contracts/operations.md``. Every step is keyed on a natural key, so loading
twice changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stdnum.cn.uscc import calc_check_digit

from accounts.models import Role, User
from banks.models import Bank, Branch, ButlerTeam, LeadBank
from enterprises.models import Enterprise
from enterprises.services import enterprise_create
from regions.codes import level_of, parent_code
from regions.models import IndustryChain, Region

REGIONS: list[tuple[str, str]] = [
    ("370000", "山东省"),
    ("370200", "青岛市"),
    ("370202", "市南区"),
    ("370203", "市北区"),
    ("370211", "黄岛区（西海岸新区）"),
    ("370212", "崂山区"),
    ("370213", "李沧区"),
    ("370214", "城阳区"),
    ("370215", "即墨区"),
    ("370281", "胶州市"),
    ("370283", "平度市"),
    ("370285", "莱西市"),
    ("370900", "泰安市"),
    ("370902", "泰山区"),
    ("370902-gaoxin", "泰安高新区"),
    ("370911", "岱岳区"),
    ("370921", "宁阳县"),
    ("370923", "东平县"),
    ("370982", "新泰市"),
    ("370983", "肥城市"),
]

# Daiyue's "3+3+X" (seed 003), Feicheng's 高端化工 chain, Ningyang's 高端化工, Taishan's chains.
CHAINS: list[tuple[str, str]] = [
    ("370911", "新材料"),
    ("370911", "精细化工"),
    ("370911", "新一代信息技术"),
    ("370911", "新型建材"),
    ("370911", "食品加工"),
    ("370911", "现代物流"),
    ("370983", "高端化工"),
    ("370921", "高端化工"),
    ("370902", "高端装备制造"),
    ("370902", "现代食品"),
    ("370982", "新材料"),
    ("370211", "海洋装备"),
]

BANKS: list[tuple[str, str, str]] = [
    ("中国工商银行", "工商银行", Bank.Kind.STATE),
    ("中国农业银行", "农业银行", Bank.Kind.STATE),
    ("中国银行", "中国银行", Bank.Kind.STATE),
    ("中国建设银行", "建设银行", Bank.Kind.STATE),
    ("泰安银行", "泰安银行", Bank.Kind.CITY),
    ("岱岳农商银行", "岱岳农商银行", Bank.Kind.RURAL),
    ("青岛银行", "青岛银行", Bank.Kind.CITY),
    ("中国邮政储蓄银行", "邮储银行", Bank.Kind.POSTAL),
]

# (bank, branch name, region, regions served)
BRANCHES: list[tuple[str, str, str, list[str]]] = [
    ("中国工商银行", "工商银行泰安岱岳支行", "370911", ["370911"]),
    ("中国农业银行", "农业银行泰安岱岳支行", "370911", ["370911"]),
    ("中国银行", "中国银行泰安分行", "370900", ["370900"]),
    ("中国建设银行", "建设银行新泰支行", "370982", ["370982"]),
    ("泰安银行", "泰安银行肥城支行", "370983", ["370983"]),
    ("岱岳农商银行", "岱岳农商银行营业部", "370911", ["370911"]),
    ("青岛银行", "青岛银行西海岸分行", "370211", ["370211", "370200"]),
    ("中国邮政储蓄银行", "邮储银行泰山区支行", "370902", ["370902", "370902-gaoxin"]),
]

# (chain region, chain, branch): the first two are the lead banks of firm-demo's chain.
LEAD_BANKS: list[tuple[str, str, str]] = [
    ("370911", "新材料", "工商银行泰安岱岳支行"),
    ("370911", "新材料", "农业银行泰安岱岳支行"),
    ("370911", "精细化工", "岱岳农商银行营业部"),
    ("370911", "新一代信息技术", "中国银行泰安分行"),
    ("370983", "高端化工", "泰安银行肥城支行"),
    ("370902", "高端装备制造", "邮储银行泰山区支行"),
    ("370211", "海洋装备", "青岛银行西海岸分行"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    branch: str | None = None
    region: str | None = None


ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        "officer-lead", Role.BANK_OFFICER, "张明（工商银行）", branch="工商银行泰安岱岳支行"
    ),
    DemoAccount(
        "officer-lead-2", Role.BANK_OFFICER, "李华（农业银行）", branch="农业银行泰安岱岳支行"
    ),
    DemoAccount(
        "manager-lead", Role.BANK_MANAGER, "王强（工商银行支行长）", branch="工商银行泰安岱岳支行"
    ),
    DemoAccount(
        "officer-other", Role.BANK_OFFICER, "赵丽（青岛银行）", branch="青岛银行西海岸分行"
    ),
    DemoAccount(
        "officer-butler", Role.BANK_OFFICER, "孙磊（建设银行金融管家）", branch="建设银行新泰支行"
    ),
    DemoAccount("staff-daiyue", Role.DISTRICT_STAFF, "岱岳区金融发展服务中心", region="370911"),
    DemoAccount(
        "staff-qingdao", Role.DISTRICT_STAFF, "青岛市地方金融发展服务中心", region="370200"
    ),
    DemoAccount("staff-xintai", Role.DISTRICT_STAFF, "新泰市金融发展服务中心", region="370982"),
]

FIRM_DEMO_USCC_BODY = "91370911MA3C8D6K1"  # 17 characters; the check character is computed

NAME_PARTS = {
    "C": ["新材料科技", "精细化工", "机械制造", "电子科技", "食品", "建材", "纺织", "装备制造"],
    "I65": ["软件科技", "信息技术", "数据服务"],
    "A": ["农业发展", "生态农业", "果蔬种植"],
    "G": ["物流", "供应链管理"],
    "F52": ["商贸"],
}
QUALIFICATION_SETS: list[list[str]] = [
    [],
    ["tech_sme"],
    ["high_tech", "tech_sme"],
    ["srdi"],
    ["high_tech", "srdi", "little_giant"],
    ["above_scale"],
    ["agri"],
    ["gazelle", "high_tech"],
    ["listing_seed", "above_scale"],
]


def demo_uscc(region_code: str, serial: int) -> str:
    """A valid synthetic 统一社会信用代码 for region ``region_code`` (check character computed)."""
    body = f"9137{region_code[2:6]}MA{serial:07d}"[:17]
    body = body.ljust(17, "0")
    return body + calc_check_digit(body)


def _regions() -> dict[str, Region]:
    found: dict[str, Region] = {}
    for code, name in REGIONS:
        parent_key = parent_code(code)
        region, _ = Region.objects.update_or_create(
            code=code,
            defaults={"name": name, "level": level_of(code), "parent": found.get(parent_key or "")},
        )
        found[code] = region
    return found


def _chains(regions: dict[str, Region]) -> dict[tuple[str, str], IndustryChain]:
    chains = {}
    for region_code, name in CHAINS:
        chain, _ = IndustryChain.objects.get_or_create(region=regions[region_code], name=name)
        chains[(region_code, name)] = chain
    return chains


def _banks(regions: dict[str, Region]) -> dict[str, Branch]:
    banks = {}
    for name, short, kind in BANKS:
        banks[name], _ = Bank.objects.update_or_create(
            name=name, defaults={"short_name": short, "kind": kind}
        )
    branches = {}
    for bank, name, region, served in BRANCHES:
        branch, _ = Branch.objects.update_or_create(
            name=name, defaults={"bank": banks[bank], "region": regions[region]}
        )
        branch.regions_served.set([regions[code] for code in served])
        branches[name] = branch
    return branches


def _firms(
    regions: dict[str, Region], chains: dict[tuple[str, str], IndustryChain]
) -> list[Enterprise]:
    rng = random.Random(2026)
    districts = [
        "370911",
        "370911",
        "370911",
        "370902",
        "370982",
        "370983",
        "370921",
        "370923",
        "370211",
        "370214",
    ]
    firms = []
    for serial in range(1, 31):
        region_code = districts[serial % len(districts)]
        industry = rng.choice(["C", "C", "C", "I65", "A", "G", "F52"])
        employees = rng.choice([8, 15, 45, 120, 260, 420, 1200])
        revenue = rng.choice([80, 250, 900, 2600, 8000, 30000, 52000]) * 10_000
        region_chains = [chain for (code, _), chain in chains.items() if code == region_code]
        uscc = demo_uscc(region_code, serial)
        if Enterprise.objects.filter(uscc=uscc).exists():
            firms.append(Enterprise.objects.get(uscc=uscc))
            continue
        firms.append(
            enterprise_create(
                uscc=uscc,
                name=f"{regions[region_code].name[:2]}{rng.choice(NAME_PARTS[industry])}示范{serial:02d}有限公司",
                region=regions[region_code],
                industry_code=industry,
                industry_chain=rng.choice(region_chains)
                if region_chains and industry == "C"
                else None,
                employees=employees,
                annual_revenue_yuan=revenue,
                total_assets_yuan=revenue * rng.choice([1, 2, 3]),
                founded_on=date(rng.randint(1998, 2023), rng.randint(1, 12), rng.randint(1, 28)),
                qualifications=rng.choice(QUALIFICATION_SETS),
                credit_rating=rng.choice(["AAA", "AA", "A", ""]),
                contact_name=f"联系人{serial:02d}",
                contact_phone=f"1380538{serial:04d}",
            )
        )
    return firms


def _user(username: str, **fields: object) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        user.set_password(settings.DEMO_PASSWORD)
        user.privacy_consent_at = timezone.now()
        user.save()
    return user


@transaction.atomic
def demo_load() -> dict[str, int]:
    """Load the demo data; returns counts of what exists afterwards."""
    regions = _regions()
    chains = _chains(regions)
    branches = _banks(regions)
    for region_code, chain_name, branch_name in LEAD_BANKS:
        LeadBank.objects.get_or_create(
            chain=chains[(region_code, chain_name)], branch=branches[branch_name]
        )
    firms = _firms(regions, chains)

    firm_demo_uscc = FIRM_DEMO_USCC_BODY + calc_check_digit(FIRM_DEMO_USCC_BODY)
    firm_demo = Enterprise.objects.filter(uscc=firm_demo_uscc).first() or enterprise_create(
        uscc=firm_demo_uscc,
        name="泰安岱岳示范新材料有限公司",
        region=regions["370911"],
        industry_code="C30",
        industry_chain=chains[("370911", "新材料")],
        employees=86,
        annual_revenue_yuan=32_000_000,
        total_assets_yuan=45_000_000,
        founded_on=date(2015, 6, 18),
        qualifications=["tech_sme", "srdi"],
        credit_rating="AA",
        contact_name="陈静",
        contact_phone="13805381234",
        email="firm-demo@example.cn",
        verified_at=timezone.now(),
    )
    _user(
        "firm-demo",
        role=Role.ENTERPRISE_MEMBER,
        display_name="陈静",
        phone="13805381234",
        email="firm-demo@example.cn",
        enterprise=firm_demo,
    )
    for account in ACCOUNTS:
        _user(
            account.username,
            role=account.role,
            display_name=account.display_name,
            branch=branches[account.branch] if account.branch else None,
            region=regions[account.region] if account.region else None,
        )
    _user(
        "admin",
        role=Role.PLATFORM_ADMIN,
        display_name="平台管理员",
        is_staff=True,
        is_superuser=True,
    )

    # A 新泰 金融管家 team (seed 003: 10 butler teams serve 50 firms) paired with 新泰's demo firms.
    team, _ = ButlerTeam.objects.get_or_create(
        region=regions["370982"],
        name="新泰市金融管家第一团队",
        defaults={"branch": branches["建设银行新泰支行"]},
    )
    team.members.add(User.objects.get(username="officer-butler"))
    team.enterprises.add(*[firm for firm in firms if firm.region_id == regions["370982"].pk])
    return {
        "regions": Region.objects.count(),
        "chains": IndustryChain.objects.count(),
        "banks": Bank.objects.count(),
        "branches": Branch.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "users": User.objects.count(),
    }
