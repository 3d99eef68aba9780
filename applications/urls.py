from django.urls import path

from applications import views

app_name = "applications"
urlpatterns = [
    path("", views.application_list_view, name="list"),
    path("apply/<int:policy_pk>/", views.application_apply_view, name="apply"),
    path("proactive/<int:policy_pk>/", views.proactive_toggle_view, name="proactive"),
    path("<int:pk>/", views.application_detail_view, name="detail"),
    path("<int:pk>/files/<int:file_id>/", views.application_file_view, name="file"),
    path("<int:pk>/<slug:action>/", views.application_action_view, name="act"),
]
