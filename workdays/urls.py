from django.urls import path

from workdays import views

app_name = "workdays"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("overrides/", views.override_set_view, name="override_set"),
    path("overrides/<int:pk>/delete/", views.override_delete_view, name="override_delete"),
    path("schedule/", views.schedule_enter_view, name="schedule_enter"),
]
