from django.urls import path

from enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("profile/", views.profile, name="profile"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/verify/", views.verify, name="verify"),
]
