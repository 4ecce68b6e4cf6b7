"""Production: ``DJANGO_ENV=production``. Refuses to start without a real key and hosts."""

from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_secret

DJANGO_ENV = "production"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
GENERATED_SECRET_KEY_FILE = None  # never a generated key in production
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the desk's host names")
# The container's own health check asks http://127.0.0.1:8000/healthz.
ALLOWED_HOSTS += [h for h in ("127.0.0.1", "localhost") if h not in ALLOWED_HOSTS]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Pages name static files through {% static %} (the hashed names); the unhashed copies
# would only double the image and the compression time of collectstatic.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Source maps are fetched only by a browser's developer tools: served as they are, not
# compressed at build time (they are 3 MB of the 7 MB whitenoise would otherwise brotli).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The proxy checks /healthz over plain HTTP inside the stack; everything else is HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# E-mail: a real backend, or an explicit «no e-mail». The console backend would mark
# notices as sent and write residents' data into the worker's log.
if EMAIL_BACKEND.endswith("console.EmailBackend") or EMAIL_BACKEND.endswith(  # noqa: F405
    "locmem.EmailBackend"
):
    if env_bool("EMAIL_DISABLED", False):
        EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    else:
        raise ImproperlyConfigured(
            "EMAIL_BACKEND must be a real backend (e.g. django.core.mail.backends.smtp."
            "EmailBackend with EMAIL_HOST), or set EMAIL_DISABLED=true for no e-mail"
        )

# The API schema and its docs are for signed-in users only.
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}
