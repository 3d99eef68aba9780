from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "needs"
    verbose_name = "融资需求"
    default_auto_field = "django.db.models.BigAutoField"
