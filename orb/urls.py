from django.contrib import admin
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from orb import health, views
from soundings import views as book_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False)),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("orb-book/", book_views.orb_book, name="orb_book"),
    path("orb-book/export/", book_views.orb_book_export, name="orb_book_export"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (Django's 403 and 404 pages).
    path("favicon.ico", RedirectView.as_view(url=static("orb/favicon.svg"), permanent=True)),
    path(health.PATH, health.healthz, name="healthz"),  # no login; answered ahead of the 503 pages
]
