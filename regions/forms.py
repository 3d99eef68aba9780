"""Staff forms for chains, lead banks and teams; choices limited to what the user manages.

The forms only offer what the user may pick; ``regions.services`` checks the domain rules (a lead
bank must serve the region, a firm has one butler team, …) and says what is wrong, per field.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Role, User
from enterprises.models import Enterprise
from regions.models import IndustryChain, Region
from regions.selectors import branches_serving, branches_serving_any, managed_regions


class _IdsChoice(forms.ModelMultipleChoiceField):
    """Refuses ids beyond a 64-bit integer as invalid: the ``pk__in`` query would otherwise
    crash (OverflowError on SQLite, out of range on PostgreSQL) and answer 500."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip().lstrip("-")
            if text.isdigit() and int(text) >= 2**63:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class _UserChoice(_IdsChoice):
    def label_from_instance(self, obj: User) -> str:
        where = obj.branch.name if obj.branch_id else (obj.region.name if obj.region_id else "")
        return f"{obj}（{obj.get_role_display()}{'，' + where if where else ''}）"


def _multi() -> forms.SelectMultiple:
    return forms.SelectMultiple(attrs={"size": 8})


class ChainForm(forms.Form):
    region = forms.ModelChoiceField(label="所属区县", queryset=Region.objects.none())
    name = forms.CharField(label="产业链名称", max_length=64)
    finance_specialist = forms.CharField(label="金融专员", max_length=64, required=False)
    description = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user: User, chain: IndustryChain | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = managed_regions(user)
        if chain is not None:  # a chain stays in its district
            del self.fields["region"]


class LeadBankForm(forms.Form):
    branch = forms.ModelChoiceField(label="主办银行网点", queryset=None)
    assigned_on = forms.DateField(
        label="确定日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, chain: IndustryChain, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = (
            branches_serving(chain.region)
            .exclude(lead_chains__chain=chain)
            .order_by("bank__name", "name")
        )


class _TeamForm(forms.Form):
    name = forms.CharField(label="名称", max_length=64)
    region = forms.ModelChoiceField(label="所在区县", queryset=Region.objects.none())
    enterprises = _IdsChoice(
        label="企业", queryset=Enterprise.objects.none(), required=False, widget=_multi()
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        regions = managed_regions(user)
        self.fields["region"].queryset = regions
        codes = list(regions.values_list("code", flat=True))
        self.fields["enterprises"].queryset = Enterprise.objects.filter(
            region__code__in=codes
        ).order_by("name")
        self._regions = list(regions)


class ButlerTeamForm(_TeamForm):
    branch = forms.ModelChoiceField(label="牵头网点", queryset=None)
    members = _UserChoice(
        label="成员（银行人员）",
        queryset=User.objects.none(),
        required=False,
        widget=_multi(),
    )
    field_order = ["name", "region", "branch", "members", "enterprises"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["name"].label = "团队名称"
        self.fields["enterprises"].label = "结对企业"
        branches = branches_serving_any(self._regions)
        self.fields["branch"].queryset = branches
        self.fields["members"].queryset = (
            User.objects.filter(
                is_active=True,
                role__in=[Role.BANK_OFFICER, Role.BANK_MANAGER],
                branch__bank__in=branches.values("bank"),
            )
            .select_related("branch__bank", "region")
            .order_by("branch__name", "username")
        )


class AdvisoryTeamForm(_TeamForm):
    leader = forms.CharField(label="队长", max_length=64, required=False)
    members = _UserChoice(
        label="成员", queryset=User.objects.none(), required=False, widget=_multi()
    )
    field_order = ["name", "region", "leader", "members", "enterprises"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["name"].label = "辅导队名称"
        self.fields["enterprises"].label = "服务企业"
        codes = {code for region in self._regions for code in region.ancestor_codes()}
        branches = branches_serving_any(self._regions)
        self.fields["members"].queryset = (
            User.objects.filter(is_active=True)
            .filter(
                Q(role=Role.DISTRICT_STAFF, region__code__in=codes)
                | Q(role__in=[Role.BANK_OFFICER, Role.BANK_MANAGER], branch__in=branches)
            )
            .select_related("branch__bank", "region")
            .order_by("role", "username")
        )
