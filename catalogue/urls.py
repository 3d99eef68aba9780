from django.urls import path

from catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("staff/", views.staff_index, name="staff_index"),
    path("staff/policies/new/", views.staff_policy_edit, name="staff_policy_create"),
    path("staff/policies/<int:pk>/", views.staff_policy_edit, name="staff_policy_edit"),
    path(
        "staff/policies/<int:pk>/publish/",
        views.staff_publish,
        {"kind": "policy", "publish": True},
        name="staff_policy_publish",
    ),
    path(
        "staff/policies/<int:pk>/unpublish/",
        views.staff_publish,
        {"kind": "policy", "publish": False},
        name="staff_policy_unpublish",
    ),
    path("staff/products/new/", views.staff_product_edit, name="staff_product_create"),
    path("staff/products/<int:pk>/", views.staff_product_edit, name="staff_product_edit"),
    path(
        "staff/products/<int:pk>/publish/",
        views.staff_publish,
        {"kind": "product", "publish": True},
        name="staff_product_publish",
    ),
    path(
        "staff/products/<int:pk>/unpublish/",
        views.staff_publish,
        {"kind": "product", "publish": False},
        name="staff_product_unpublish",
    ),
    path("staff/import/", views.staff_import, name="staff_import"),
    path("staff/export.xlsx", views.staff_export, name="staff_export"),
    path("compendium/<str:region_code>.pdf", views.compendium_pdf, name="compendium"),
    path("saved/", views.saved_list, name="saved_list"),
    path("saved/new/", views.saved_create, name="saved_create"),
    path("saved/<int:pk>/delete/", views.saved_delete, name="saved_delete"),
    path("saved/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
