from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .forms import DeskAuthenticationForm

admin.site.site_header = _("МЦУ: администрирование")
admin.site.site_title = _("МЦУ")

api_v1 = [
    path("", include("cases.api.urls")),
    path("", include("channels.api.urls")),
    path("analytics/", include("analytics.api.urls")),
]

handler500 = "mcu.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=DeskAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Every user changes their own password here (the old one is asked; the session
    # stays signed in, other sessions of the user are signed out by the new hash).
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/password/done/"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_mark_read, name="notifications-read"),
    path("notifications/bell/", views.notification_bell, name="notifications-bell"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notifications-open"),
    path("integrations/", views.integrations, name="integrations"),
    path("integrations/issue/", views.integration_token_issue, name="integration-token-issue"),
    path(
        "integrations/<int:pk>/rotate/",
        views.integration_token_rotate,
        name="integration-token-rotate",
    ),
    path(
        "integrations/<int:pk>/revoke/",
        views.integration_token_revoke,
        name="integration-token-revoke",
    ),
    path("cases/", include("cases.urls")),
    path("channels/", include("channels.urls")),
    path("analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    # Open311 GeoReport v2 for city portals and apps (docs/open311.md).
    path("open311/v2/", include("channels.open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
