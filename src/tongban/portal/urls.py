from django.urls import include, path

from tongban.portal import (
    views,
    views_accounts,
    views_data,
    views_oidc,
    views_publicity,
    views_stats,
)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("matters/<slug:code>/", views.matter_detail, name="matter"),
    path("themes/<slug:code>/", views.theme_detail, name="theme"),
    path("sections/<slug:code>/", views.section_detail, name="section"),
    path("data-catalogue/", views_data.data_catalogue, name="data_catalogue"),
    path("data-catalogue/<str:code>/", views_data.data_resource, name="data_resource"),
    path("publicity/permits/", views_publicity.permit_list, name="publicity_permits"),
    path("stats/", views_stats.stats_dashboard, name="stats"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("login/oidc/", views_oidc.oidc_start, name="oidc_start"),
    path("login/oidc/callback/", views_oidc.oidc_callback, name="oidc_callback"),
    path("logout/", views_oidc.PortalLogoutView.as_view(), name="logout"),
    path("register/", views_accounts.register, name="register"),
    path("register/verify/", views_accounts.register_verify, name="register_verify"),
    path("password-reset/", views_accounts.password_reset, name="password_reset"),
    path(
        "password-reset/verify/",
        views_accounts.password_reset_verify,
        name="password_reset_verify",
    ),
    # Applying and "my cases" (issue 3) live in their own module.
    path("", include("tongban.portal.urls_cases")),
    # The service center's hall pages and the micro-portal (issue 11).
    path("", include("tongban.portal.urls_center")),
]
