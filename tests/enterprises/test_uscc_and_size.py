import pytest
from django.core.exceptions import ValidationError

from enterprises.sizing import classify_size
from enterprises.validators import validate_uscc
from tests.factories import make_uscc

VALID = make_uscc(1)


def test_valid_uscc_passes():
    validate_uscc(VALID)


def test_wrong_check_character_is_refused_in_chinese():
    wrong = VALID[:-1] + ("1" if VALID[-1] != "1" else "2")
    with pytest.raises(ValidationError) as exc:
        validate_uscc(wrong)
    assert exc.value.messages == ["统一社会信用代码校验位错误，请核对后重新输入。"]


@pytest.mark.parametrize("value", ["12345", VALID + "1"])
def test_wrong_length_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(value)
    assert "18位" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "expected"),
    [
        ("C", 1000, 400_000_000, None, "large"),
        ("C", 999, 400_000_000, None, "medium"),  # below one large bound falls a class
        ("C", 300, 20_000_000, None, "medium"),
        ("C", 300, 19_999_999, None, "small"),
        ("C", 20, 3_000_000, None, "small"),
        ("C", 19, 3_000_000, None, "micro"),
        ("I65", 10, 500_000, None, "small"),
        ("I65", 9, 500_000, None, "micro"),
        ("A", None, 5_000_000, None, "medium"),  # 农林牧渔 by revenue alone
        ("F51", 20, 50_000_000, None, "medium"),
        ("E", None, 60_000_000, 50_000_000, "medium"),
        ("L", 100, None, 80_000_000, "medium"),
        ("Z9", 100, None, None, "medium"),  # 其他未列明行业: employees alone
    ],
)
def test_size_class_follows_the_national_standard(industry, employees, revenue, assets, expected):
    assert (
        classify_size(
            industry_code=industry, employees=employees, revenue_yuan=revenue, assets_yuan=assets
        )
        == expected
    )


def test_size_class_is_unknown_without_the_figures():
    assert (
        classify_size(industry_code="C", employees=50, revenue_yuan=None, assets_yuan=None) is None
    )
