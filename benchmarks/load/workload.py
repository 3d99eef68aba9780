"""The load test's endpoints: kind (bare reference, floor, server-rendered page or JSON) and weight in
the mixed workload. Kept apart from the locustfile so the runner can read it without gevent."""

ENDPOINTS: dict[str, tuple[str, int]] = {
    "bare": ("bare", 0),
    # What the stack and the disk allow (benchmarks/dashboard_urls.py): shown, no target.
    "floor: page, signed in": ("floor", 0),
    "floor: json, token auth": ("floor", 0),
    "floor: json, one write": ("floor", 0),
    "page: policy list": ("page", 4),
    "page: policy detail": ("page", 4),
    "page: policy search": ("page", 3),
    "page: product list": ("page", 2),
    "page: calculator": ("page", 2),
    "page: officer case list": ("page", 2),
    "json: policy search": ("json", 3),
    "json: eligibility calculator": ("json", 3),
    "json: submit need": ("json", 1),
    "json: officer case list": ("json", 2),
    "json: officer accept": ("json", 1),
}
