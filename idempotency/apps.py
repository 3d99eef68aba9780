from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "idempotency"
    verbose_name = "幂等请求"
    default_auto_field = "django.db.models.BigAutoField"
