from django.urls import path

from regions import views

app_name = "regions"
urlpatterns = [
    path("chains/", views.chain_list_view, name="chains"),
    path("chains/new/", views.chain_create_view, name="chain_new"),
    path("chains/<int:pk>/", views.chain_edit_view, name="chain_edit"),
    path("chains/<int:pk>/delete/", views.chain_delete_view, name="chain_delete"),
    path("chains/<int:pk>/lead-banks/", views.lead_bank_add_view, name="lead_bank_add"),
    path("lead-banks/<int:pk>/remove/", views.lead_bank_remove_view, name="lead_bank_remove"),
    path("teams/<slug:kind>/", views.team_list_view, name="teams"),
    path("teams/<slug:kind>/new/", views.team_edit_view, name="team_new"),
    path("teams/<slug:kind>/<int:pk>/", views.team_edit_view, name="team_edit"),
    path("teams/<slug:kind>/<int:pk>/delete/", views.team_delete_view, name="team_delete"),
]
