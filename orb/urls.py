from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from orb import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False)),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("orb-book/", views.orb_book, name="orb_book"),
    path("admin/", admin.site.urls),
]
