"""Every API route under /api/v1/, registered on one router."""

from rest_framework.routers import DefaultRouter

from accounts.api.urls import urlpatterns as accounts_urlpatterns
from applications.api.views import ApplicationViewSet
from banks.api.views import LoanProductViewSet
from dashboards.api.urls import urlpatterns as stats_urlpatterns
from eligibility.api.urls import urlpatterns as eligibility_urlpatterns
from enterprises.api.views import EnterpriseViewSet
from needs.api.views import NeedViewSet
from policies.api.views import PolicyViewSet

router = DefaultRouter()
# The busiest routes first: Django tries the router's regexes in order (about two microseconds
# each, ~90 of them), and the public catalogue lists are read far more than anything else.
# The prefixes are disjoint, so the order changes nothing but the time to resolve.
router.register("policies", PolicyViewSet, basename="policy")
router.register("products", LoanProductViewSet, basename="product")
router.register("needs", NeedViewSet, basename="need")
router.register("applications", ApplicationViewSet, basename="application")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")

# Explicit paths first, so that products/match/ is not taken for a product's detail route.
api_urlpatterns = [
    *accounts_urlpatterns,
    *eligibility_urlpatterns,
    *stats_urlpatterns,
    *router.urls,
]
