"""Delivery becomes a pending row: ``delivered_at`` is null until e-mail/SMS are done."""

from django.db import migrations, models
from django.db.models import F


def mark_existing_delivered(apps, schema_editor):
    # Rows written before this migration were delivered (or never will be): the sweeper must not
    # pick them up.
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(delivered_at__isnull=True).update(delivered_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="投递完成时间"),
        ),
        migrations.AddField(
            model_name="notification",
            name="redriven_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="重新投递时间"),
        ),
        migrations.RunPython(mark_existing_delivered, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                fields=["delivered_at", "created_at"], name="notification_pending_idx"
            ),
        ),
    ]
