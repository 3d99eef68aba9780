from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "eligibility"
    verbose_name = "政策测算"

    def ready(self) -> None:
        from eligibility import signals  # noqa: F401 - connects the re-evaluation triggers
