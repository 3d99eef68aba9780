from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "个人信息保护"
    default_auto_field = "django.db.models.BigAutoField"
