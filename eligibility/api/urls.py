"""API routes of eligibility, included in portal/api/urls.py before the router's."""

from django.urls import path

from eligibility.api.views import EligibilityView, FactsView, ProductMatchView

urlpatterns = [
    path("facts/", FactsView.as_view(), name="api-facts"),
    path("eligibility/", EligibilityView.as_view(), name="api-eligibility"),
    path("products/match/", ProductMatchView.as_view(), name="api-product-match"),
]
