"""Enterprise size class (大/中/小/微) by the national SME classification standard.

工信部联企业〔2011〕300号《中小企业划型标准规定》: each industry has thresholds on employees,
revenue and/or assets. A firm is of a size when it reaches *every* lower bound listed for that
size in its industry; otherwise it falls to the next size down. 微型 is what remains.
"""

from __future__ import annotations

from dataclasses import dataclass

WAN = 10_000


@dataclass(frozen=True)
class Thresholds:
    """Lower bounds for 大型, 中型 and 小型, per metric (employees in persons, money in yuan)."""

    employees: tuple[int, int, int] | None = None
    revenue: tuple[int, int, int] | None = None
    assets: tuple[int, int, int] | None = None


def _w(a: int, b: int, c: int) -> tuple[int, int, int]:
    return (a * WAN, b * WAN, c * WAN)


# Keys are GB/T 4754 prefixes; the longest matching prefix wins.
STANDARD: dict[str, Thresholds] = {
    "A": Thresholds(revenue=_w(20000, 500, 50)),  # 农、林、牧、渔业
    "B": Thresholds(employees=(1000, 300, 20), revenue=_w(40000, 2000, 300)),  # 工业
    "C": Thresholds(employees=(1000, 300, 20), revenue=_w(40000, 2000, 300)),
    "D": Thresholds(employees=(1000, 300, 20), revenue=_w(40000, 2000, 300)),
    "E": Thresholds(revenue=_w(80000, 6000, 300), assets=_w(80000, 5000, 300)),  # 建筑业
    "F51": Thresholds(employees=(200, 20, 5), revenue=_w(40000, 5000, 1000)),  # 批发业
    "F52": Thresholds(employees=(300, 50, 10), revenue=_w(20000, 500, 100)),  # 零售业
    "G": Thresholds(employees=(1000, 300, 20), revenue=_w(30000, 3000, 200)),  # 交通运输业
    "G59": Thresholds(employees=(200, 100, 20), revenue=_w(30000, 1000, 100)),  # 仓储业
    "G60": Thresholds(employees=(1000, 300, 20), revenue=_w(30000, 2000, 100)),  # 邮政业
    "H61": Thresholds(employees=(300, 100, 10), revenue=_w(10000, 2000, 100)),  # 住宿业
    "H62": Thresholds(employees=(300, 100, 10), revenue=_w(10000, 2000, 100)),  # 餐饮业
    "I63": Thresholds(employees=(2000, 100, 10), revenue=_w(100000, 1000, 100)),  # 信息传输业
    "I64": Thresholds(employees=(2000, 100, 10), revenue=_w(100000, 1000, 100)),
    "I65": Thresholds(
        employees=(300, 100, 10), revenue=_w(10000, 1000, 50)
    ),  # 软件和信息技术服务业
    "K7010": Thresholds(
        revenue=_w(200000, 1000, 100), assets=_w(10000, 5000, 2000)
    ),  # 房地产开发经营
    "K702": Thresholds(employees=(1000, 300, 100), revenue=_w(5000, 1000, 500)),  # 物业管理
    "L": Thresholds(employees=(300, 100, 10), assets=_w(120000, 8000, 100)),  # 租赁和商务服务业
}
OTHER = Thresholds(employees=(300, 100, 10))  # 其他未列明行业

SIZES = ("large", "medium", "small")
SIZE_LABELS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


def thresholds_for(industry_code: str) -> Thresholds:
    """The thresholds of the longest standard prefix of ``industry_code``."""
    code = (industry_code or "").upper()
    for length in range(len(code), 0, -1):
        found = STANDARD.get(code[:length])
        if found is not None:
            return found
    return OTHER


def classify_size(
    *, industry_code: str, employees: int | None, revenue_yuan: int | None, assets_yuan: int | None
) -> str | None:
    """``large``, ``medium``, ``small`` or ``micro``; None when a needed figure is unknown."""
    limits = thresholds_for(industry_code)
    metrics = [
        (limits.employees, employees),
        (limits.revenue, revenue_yuan),
        (limits.assets, assets_yuan),
    ]
    needed = [(bounds, value) for bounds, value in metrics if bounds is not None]
    if any(value is None for _, value in needed):
        return None
    for index, size in enumerate(SIZES):
        if all(value >= bounds[index] for bounds, value in needed):  # type: ignore[operator]
            return size
    return "micro"
