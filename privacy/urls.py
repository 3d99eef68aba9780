from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.my_data_view, name="my_data"),
    path("export/", views.export_view, name="export"),
    path("deletion/", views.deletion_view, name="deletion"),
    path("needs/<int:need_id>/consent/", views.contact_consent_view, name="contact_consent"),
    path("reviews/new/<int:policy_id>/", views.review_request_view, name="review_request"),
    path("staff/reviews/", views.staff_reviews_view, name="staff_reviews"),
    path("staff/reviews/<int:pk>/", views.staff_review_answer_view, name="staff_review_answer"),
    path("staff/requests/", views.staff_requests_view, name="staff_requests"),
    path(
        "staff/requests/<int:pk>/fulfil/",
        views.staff_request_fulfil_view,
        name="staff_request_fulfil",
    ),
]
