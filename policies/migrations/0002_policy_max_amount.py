from django.db import migrations, models


def max_amount_backfill(apps, schema_editor):
    """Fill the new column from each policy's current rule version (the engine's cap)."""
    try:
        from eligibility.engine import compile_rule
        from eligibility.facts import register_facts
    except ImportError:
        return
    CatalogueFact = apps.get_model("catalogue", "CatalogueFact")
    for fact in CatalogueFact.objects.all():
        try:
            register_facts(
                [{"name": fact.name, "type": fact.type, "unit": fact.unit, "label": fact.label}]
            )
        except ValueError:
            continue
    Policy = apps.get_model("policies", "Policy")
    PolicyRule = apps.get_model("policies", "PolicyRule")
    for policy in Policy.objects.only("pk").iterator():
        rule = PolicyRule.objects.filter(policy_id=policy.pk).order_by("-valid_from").first()
        if rule is None or not rule.data:
            continue
        try:
            maximum = compile_rule(rule.data).max_amount_yuan
        except ValueError:
            continue
        if maximum is not None:
            Policy.objects.filter(pk=policy.pk).update(max_amount_yuan=maximum)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("policies", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="max_amount_yuan",
            field=models.BigIntegerField(
                blank=True, editable=False, null=True, verbose_name="最高支持金额（元）"
            ),
        ),
        migrations.RunPython(max_amount_backfill, migrations.RunPython.noop),
    ]
