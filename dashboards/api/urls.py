"""Routes of ``/api/v1/stats/``, included in portal/api/urls.py."""

from django.urls import path

from dashboards.api import views

urlpatterns = [
    path("stats/", views.StatsRootView.as_view(), name="api-stats"),
    path("stats/summary/", views.SummaryView.as_view(), name="api-stats-summary"),
    path("stats/by/<str:dimension>/", views.DimensionView.as_view(), name="api-stats-by"),
    path("stats/declines/", views.DeclinesView.as_view(), name="api-stats-declines"),
    path("stats/overdue/", views.OverdueView.as_view(), name="api-stats-overdue"),
    path("stats/applications/", views.ApplicationsView.as_view(), name="api-stats-applications"),
    path("stats/catalogue/", views.CatalogueView.as_view(), name="api-stats-catalogue"),
    path("stats/assessment/", views.AssessmentView.as_view(), name="api-stats-assessment"),
]
