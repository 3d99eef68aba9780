from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/verify/", views.otp_verify_view, name="otp_verify"),
    path("security/", views.otp_settings_view, name="otp_settings"),
]
