"""The pages: applying (pre-filled facts, recomputing, errors per field), the case page and its
steps, the staff queue per policy, and the policy page's public counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications import services
from applications.models import PolicyApplication
from tests.applications.helpers import EXE, PNG, make_policy, percent_rule, stored_files, upload

pytestmark = pytest.mark.django_db


def form_data(**changes):
    data = {
        "fact_annual_revenue_yuan": "3200",
        "fact_qualifications": ["tech_sme"],
        "material_0": upload("营业执照.pdf"),
        "material_1": upload("报表.png", PNG),
        "declaration": "on",
        "submit": "1",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_apply_page_prefills_the_profile_and_shows_the_amount(world, client):
    client.force_login(world["member"])
    page = client.get(f"/applications/apply/{world['policy'].pk}/").content.decode()
    assert 'value="3200"' in page  # 上年度主营业务收入 in万元, from the profile
    assert "测算金额" in page and "20万元" in page
    assert "营业执照副本" in page and "上年度财务报表" in page
    assert "本企业承诺" in page
    assert "91" not in page or world["firm"].uscc in page  # the locked USCC is shown as text


def test_recompute_changes_the_amount_without_saving(world, client):
    client.force_login(world["member"])
    data = form_data(fact_annual_revenue_yuan="500", preview="1", submit=None)
    data.pop("material_0"), data.pop("material_1"), data.pop("declaration")
    response = client.post(f"/applications/apply/{world['policy'].pk}/", data)
    assert response.status_code == 200
    assert "5万元" in response.content.decode()
    assert PolicyApplication.objects.count() == 0


def test_apply_form_submits(world, client, media):
    client.force_login(world["member"])
    response = client.post(f"/applications/apply/{world['policy'].pk}/", form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    application = PolicyApplication.objects.get()
    assert application.computed_amount_yuan == 200_000 and application.files.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "待受理" in page and "20万元" in page and "营业执照.pdf" in page
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"declaration": None}, "请阅读并确认申报承诺。"),
        ({"material_1": None}, "请上传“上年度财务报表”。"),
        ({"material_1": upload("报表.pdf", EXE)}, "文件内容与扩展名不符"),
        ({"fact_annual_revenue_yuan": "-1"}, "确保该值大于或等于"),
    ],
)
def test_apply_form_errors_in_chinese_and_nothing_saved(world, client, media, changes, message):
    client.force_login(world["member"])
    response = client.post(f"/applications/apply/{world['policy'].pk}/", form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PolicyApplication.objects.count() == 0 and stored_files(media) == []


def test_only_firm_members_see_the_apply_page(world, client):
    client.force_login(world["staff"])
    assert client.get(f"/applications/apply/{world['policy'].pk}/").status_code == 403


def submitted(world):
    return services.policy_application_submit(
        enterprise=world["firm"],
        policy=world["policy"],
        submitted_by=world["member"],
        facts={},
        files=[("营业执照副本", upload("执照.pdf")), ("上年度财务报表", upload("报表.pdf"))],
        declaration=True,
    )


def test_case_page_steps_for_staff(world, client):
    application = submitted(world)
    client.force_login(world["staff"])
    url = f"/applications/{application.pk}/"
    page = client.get(url).content.decode()
    assert "受理" in page and "退回补正" in page and "记录兑现" not in page
    assert client.post(f"{url}accept/", {"accept-note": "材料齐全"}).status_code == 302
    # Approving with a different amount and no reason re-renders the page with the error.
    response = client.post(f"{url}approve/", {"approve-amount_yuan": "15"})
    assert response.status_code == 400
    assert "核定金额与测算金额" in response.content.decode()
    response = client.post(
        f"{url}approve/", {"approve-amount_yuan": "15", "approve-reason": "研发费用核减"}
    )
    assert response.status_code == 302
    # A step the state does not allow says why.
    response = client.post(f"{url}accept/", follow=True)
    assert "不能受理" in response.content.decode()
    ends = (timezone.localdate() + timedelta(days=7)).isoformat()
    assert client.post(f"{url}publicize/", {"publicize-ends_on": ends}).status_code == 302
    application.refresh_from_db()
    assert application.status == "publicity" and application.approved_amount_yuan == 150_000
    page = client.get(url).content.decode()
    assert "15万元" in page and ends in page


def test_case_page_for_the_firm_shows_messages_and_return(world, client):
    application = submitted(world)
    services.policy_application_return(
        application=application, actor=world["staff"], items="营业执照需加盖公章"
    )
    client.force_login(world["member"])
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert "营业执照需加盖公章" in page and "重新提交" in page
    assert f'action="/applications/{application.pk}/accept/"' not in page
    response = client.post(
        f"/applications/{application.pk}/resubmit/",
        {
            # What the browser posts back: the pre-filled facts, a new file and a note.
            "resubmit-fact_annual_revenue_yuan": "3200",
            "resubmit-fact_qualifications": ["tech_sme"],
            "resubmit-material_0": upload("执照（盖章）.pdf"),
            "resubmit-note": "已盖章",
        },
    )
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "alert" in line
    ]
    application.refresh_from_db()
    assert application.status == "submitted" and application.files.count() == 3
    # The firm cannot take a staff step even by posting to it.
    assert client.post(f"/applications/{application.pk}/accept/").status_code == 403


def test_staff_queue_per_policy_with_counts_and_deadlines(world, client, regions):
    submitted(world)
    other = make_policy(regions["daiyue"], title="另一项政策")
    services.policy_application_submit(
        enterprise=world["firm"],
        policy=other,
        submitted_by=world["member"],
        facts={},
        files=[("营业执照副本", upload("执照.pdf")), ("上年度财务报表", upload("报表.pdf"))],
        declaration=True,
    )
    client.force_login(world["staff"])
    page = client.get("/applications/").content.decode()
    assert world["policy"].title in page and "另一项政策" in page
    assert 'id="queue"' in page and "最近审核期限" in page
    filtered = client.get(f"/applications/?policy={other.pk}").content.decode()
    table = filtered.split('id="applications"')[1]
    assert "另一项政策" in table and world["policy"].title not in table
    # Staff of another district see an empty queue.
    client.force_login(world["other_staff"])
    page = client.get("/applications/").content.decode()
    assert world["policy"].title not in page


def test_policy_page_counts_firms_without_names(world, client):
    application = submitted(world)
    staff = world["staff"]
    services.policy_application_accept(application=application, actor=staff)
    services.policy_application_approve(application=application, actor=staff, amount_yuan=200_000)
    today = timezone.localdate()
    services.policy_application_publicize(
        application=application, actor=staff, starts_on=today, ends_on=today
    )
    services.policy_application_pay(
        application=application, actor=staff, amount_yuan=200_000, paid_on=today
    )
    page = client.get(f"/policies/{world['policy'].pk}/").content.decode()
    counts = page.split('id="application-counts"')[1].split("</p>")[0]
    assert "<strong>1</strong> 家企业申报" in counts and "<strong>1</strong> 家已兑现" in counts
    assert world["firm"].name not in page


def test_policy_page_offers_apply_to_firms_and_marking_to_staff(world, client):
    client.force_login(world["member"])
    page = client.get(f"/policies/{world['policy'].pk}/").content.decode()
    assert f"/applications/apply/{world['policy'].pk}/" in page
    client.force_login(world["staff"])
    page = client.get(f"/policies/{world['policy'].pk}/").content.decode()
    assert "设为免申即享" in page


def test_apply_page_leads_to_the_open_application(world, client):
    application = submitted(world)
    client.force_login(world["member"])
    response = client.get(f"/applications/apply/{world['policy'].pk}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/applications/{application.pk}/"
    assert f"已有该政策的申报 #{application.pk}" in response.content.decode()


def test_apply_page_says_when_a_one_time_award_was_granted(world, client, regions):
    policy = make_policy(regions["daiyue"], rule=percent_rule(one_time=True))
    application = services.policy_application_submit(
        enterprise=world["firm"],
        policy=policy,
        submitted_by=world["member"],
        facts={},
        files=[("营业执照副本", upload("执照.pdf")), ("上年度财务报表", upload("报表.pdf"))],
        declaration=True,
    )
    services.policy_application_accept(application=application, actor=world["staff"])
    services.policy_application_approve(
        application=application, actor=world["staff"], amount_yuan=200_000
    )
    client.force_login(world["member"])
    page = client.get(f"/applications/apply/{policy.pk}/").content.decode()
    assert 'id="blocked"' in page and "一次性奖补" in page and "不能重复享受" in page
    response = client.post(f"/applications/apply/{policy.pk}/", form_data())
    assert response.status_code == 400 and "不能重复享受" in response.content.decode()
    assert PolicyApplication.objects.filter(policy=policy).count() == 1


def test_a_policy_for_banks_offers_no_application(world, client, regions):
    policy = make_policy(regions["daiyue"], title="银行考核奖励")
    policy.beneficiary = "bank"
    policy.save(update_fields=["beneficiary"])
    client.force_login(world["member"])
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    assert f"/applications/apply/{policy.pk}/" not in page
    response = client.get(f"/applications/apply/{policy.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/policies/{policy.pk}/"
    assert "企业不能直接申报" in response.content.decode()
