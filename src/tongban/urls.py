from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from tongban.api.main import api

admin.site.site_header = _("通办 Tongban 管理后台")
admin.site.site_title = _("通办 Tongban")
admin.site.index_title = _("一网通办管理")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("workbench/", include("tongban.workbench.urls")),
    path("verify/", include("tongban.certificates.urls")),
    path("", include("tongban.portal.urls")),
]

if settings.BENCH_VIEWS:
    from tongban.core.views import bench_bare

    urlpatterns.insert(0, path("bench/bare/", bench_bare, name="bench-bare"))

# No /media/ route, not even under DEBUG: uploaded materials are private and served only by
# access-checked views (portal my_case_material, workbench material, API material_file).
