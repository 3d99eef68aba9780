"""Encrypt the TOTP secrets stored in plain text (accounts.crypto, Fernet) and rename the column
so that nothing reads a ciphertext as a secret or the other way round."""

from django.db import migrations, models


def encrypt_plain_secrets(apps, schema_editor) -> None:
    from accounts.crypto import encrypt_secret, is_encrypted

    device_model = apps.get_model("accounts", "TOTPDevice")
    for device in device_model.objects.only("pk", "secret"):
        if not is_encrypted(device.secret):
            device_model.objects.filter(pk=device.pk).update(secret=encrypt_secret(device.secret))


def decrypt_secrets(apps, schema_editor) -> None:
    from accounts.crypto import decrypt_secret, is_encrypted

    device_model = apps.get_model("accounts", "TOTPDevice")
    for device in device_model.objects.only("pk", "secret"):
        if is_encrypted(device.secret):
            device_model.objects.filter(pk=device.pk).update(secret=decrypt_secret(device.secret))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_totp_session_generation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="totpdevice",
            name="secret",
            field=models.CharField(max_length=255, verbose_name="密钥"),
        ),
        migrations.RunPython(encrypt_plain_secrets, decrypt_secrets, elidable=False),
        migrations.RenameField(
            model_name="totpdevice", old_name="secret", new_name="secret_encrypted"
        ),
        migrations.AlterField(
            model_name="totpdevice",
            name="secret_encrypted",
            field=models.CharField(max_length=255, verbose_name="密钥（加密）"),
        ),
    ]
