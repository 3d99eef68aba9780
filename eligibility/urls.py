"""Pages of the policy calculator (政策测算)."""

from django.urls import path

from eligibility import views

app_name = "eligibility"

urlpatterns = [
    path("", views.calculator, name="calculator"),
    path("save/", views.calculator_save, name="save"),
    path("saved/", views.saved_list, name="saved"),
]
