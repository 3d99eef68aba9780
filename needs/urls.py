from django.urls import path

from needs import views

app_name = "needs"
urlpatterns = [
    path("", views.need_list_view, name="list"),
    path("new/", views.need_submit_view, name="submit"),
    path("released/", views.released_history_view, name="released"),
    path("<int:pk>/", views.need_detail_view, name="detail"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_view, name="attachment"),
    path("<int:pk>/<slug:action>/", views.need_action_view, name="act"),
]
