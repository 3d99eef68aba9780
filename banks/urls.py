from django.urls import path

from banks import views

app_name = "banks"
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("<int:pk>/", views.product_detail, name="product_detail"),
]
