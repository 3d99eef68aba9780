"""Staff pages: industry chains with their lead banks (主办银行), 金融管家 teams, 金融辅导队.

Staff of a region see and change only rows of their region and the regions inside it; anything
else answers 404, as does every page for users who manage nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from regions import services
from regions.forms import AdvisoryTeamForm, ButlerTeamForm, ChainForm, LeadBankForm
from regions.selectors import (
    advisory_teams_for_user,
    butler_teams_for_user,
    chains_for_user,
    lead_banks_for_user,
    may_set_up,
)


def _setup_only(request: HttpRequest) -> None:
    if not may_set_up(request.user):
        raise Http404


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Chains and lead banks ----------------------------------------------------------------------


@login_required
def chain_list_view(request: HttpRequest) -> HttpResponse:
    _setup_only(request)
    chains = chains_for_user(request.user)
    return render(request, "regions/chains.html", {"chains": chains})


@login_required
def chain_create_view(request: HttpRequest) -> HttpResponse:
    _setup_only(request)
    form = ChainForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            chain = services.industry_chain_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已新建产业链「{chain.name}」，请为其指定主办银行。")
            return redirect("regions:chain_edit", pk=chain.pk)
    return render(
        request, "regions/chain_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _chain_page(request, chain, *, form=None, lead_form=None, status=200) -> HttpResponse:
    initial = {
        "name": chain.name,
        "finance_specialist": chain.finance_specialist,
        "description": chain.description,
    }
    context = {
        "chain": chain,
        "form": form or ChainForm(initial=initial, user=request.user, chain=chain),
        "lead_form": lead_form or LeadBankForm(chain=chain, prefix="lead"),
        "lead_banks": list(chain.lead_banks.all()),
    }
    return render(request, "regions/chain_form.html", context, status=status)


@login_required
def chain_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _setup_only(request)
    chain = get_object_or_404(chains_for_user(request.user), pk=pk)
    if request.method == "POST":
        form = ChainForm(request.POST, user=request.user, chain=chain)
        if form.is_valid():
            try:
                services.industry_chain_save(
                    actor=request.user, region=chain.region, chain=chain, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "产业链已保存。")
                return redirect("regions:chain_edit", pk=chain.pk)
        return _chain_page(request, chain, form=form, status=400)
    return _chain_page(request, chain)


@login_required
@require_POST
def chain_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    _setup_only(request)
    chain = get_object_or_404(chains_for_user(request.user), pk=pk)
    try:
        services.industry_chain_delete(actor=request.user, chain=chain)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("regions:chain_edit", pk=chain.pk)
    messages.success(request, f"已删除产业链「{chain.name}」。")
    return redirect("regions:chains")


@login_required
@require_POST
def lead_bank_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    _setup_only(request)
    chain = get_object_or_404(chains_for_user(request.user), pk=pk)
    form = LeadBankForm(request.POST, chain=chain, prefix="lead")
    if form.is_valid():
        try:
            lead = services.lead_bank_add(actor=request.user, chain=chain, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已指定{lead.branch.name}为主办银行。")
            return redirect("regions:chain_edit", pk=chain.pk)
    return _chain_page(request, chain, lead_form=form, status=400)


@login_required
@require_POST
def lead_bank_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    _setup_only(request)
    lead = get_object_or_404(lead_banks_for_user(request.user), pk=pk)
    services.lead_bank_remove(actor=request.user, lead_bank=lead)
    messages.success(request, f"已取消{lead.branch.name}的主办银行资格。")
    return redirect("regions:chain_edit", pk=lead.chain_id)


# --- Teams --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamKind:
    """What differs between 金融管家 teams and 金融辅导队 on the staff pages."""

    title: str
    selector: Callable[[Any], Any]
    form: type[forms.Form]
    save: Callable[..., Any]
    extra_field: str  # branch (butler) or leader (advisory)


TEAM_KINDS = {
    "butler": TeamKind(
        "金融管家团队", butler_teams_for_user, ButlerTeamForm, services.butler_team_save, "branch"
    ),
    "advisory": TeamKind(
        "金融辅导队",
        advisory_teams_for_user,
        AdvisoryTeamForm,
        services.advisory_team_save,
        "leader",
    ),
}


def _kind(kind: str) -> TeamKind:
    if kind not in TEAM_KINDS:
        raise Http404
    return TEAM_KINDS[kind]


@login_required
def team_list_view(request: HttpRequest, kind: str) -> HttpResponse:
    _setup_only(request)
    spec = _kind(kind)
    teams = spec.selector(request.user)
    return render(request, "regions/teams.html", {"kind": kind, "spec": spec, "teams": teams})


@login_required
def team_edit_view(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    """New team (no ``pk``) or an existing one of the user's regions."""
    _setup_only(request)
    spec = _kind(kind)
    team = get_object_or_404(spec.selector(request.user), pk=pk) if pk is not None else None
    initial = {}
    if team is not None:
        initial = {
            "name": team.name,
            "region": team.region,
            spec.extra_field: getattr(team, spec.extra_field),
            "members": list(team.members.all()),
            "enterprises": list(team.enterprises.all()),
        }
    form = spec.form(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = spec.save(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{spec.title}「{saved.name}」已保存。")
            return redirect("regions:teams", kind=kind)
    context = {"kind": kind, "spec": spec, "team": team, "form": form}
    return render(request, "regions/team_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def team_delete_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _setup_only(request)
    spec = _kind(kind)
    team = get_object_or_404(spec.selector(request.user), pk=pk)
    services.team_delete(actor=request.user, team=team)
    messages.success(request, f"已解散{spec.title}「{team.name}」。")
    return redirect("regions:teams", kind=kind)
