from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/bulk/", views.workbench_bulk, name="workbench_bulk"),
    path("branch/", views.branch, name="branch"),
    path("district/", views.district, name="district"),
    path("assessment/", views.assessment, name="assessment"),
    path("bulletins/generate/", views.bulletin_generate, name="bulletin_generate"),
    path("bulletins/<int:pk>/<str:fmt>/", views.bulletin_download, name="bulletin_download"),
    path("jobs/", views.job_start, name="job_start"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
