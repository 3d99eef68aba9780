"""URL configuration of the 融资服务门户."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.views import PortalLoginView
from portal import views
from portal.api.urls import api_urlpatterns

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("health/", views.health, name="health"),
    # The API early: its clients call it most, and every prefix tried before it costs a match.
    # (The prefixes are disjoint, so the order changes only the time to resolve.)
    path("api/v1/", include(api_urlpatterns)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("accounts/login/", PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/", include("accounts.urls")),
    path("enterprises/", include("enterprises.urls")),
    path("audit/", include("audit.urls")),
    path("privacy/", include("privacy.urls")),
    path("inbox/", include("notifications.urls")),
    path("needs/", include("needs.urls")),
    path("calendar/", include("workdays.urls")),
    path("setup/", include("regions.urls")),
    path("applications/", include("applications.urls")),
    path("policies/", include("policies.urls")),
    path("products/", include("banks.urls")),
    path("catalogue/", include("catalogue.urls")),
    path("calculator/", include("eligibility.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("admin/", admin.site.urls),
]

# A backend outage raised outside a view (e.g. saving the session) is a 503 too.
handler500 = "portal.middleware.server_error"
