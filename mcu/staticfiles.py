"""Static files: the apps' folders without what the desk never serves.

The ReDoc bundle of ``drf-spectacular-sidecar`` (15 MB with its source map, a third of the
collected files) is left out: the API docs are Swagger UI. Done by the finder rather than
by a ``StaticFilesConfig`` in ``INSTALLED_APPS``, which tools that look for
``django.contrib.staticfiles`` by name (pytest-django's live server) would not recognise.
"""

from django.contrib.staticfiles.finders import AppDirectoriesFinder

#: left out of every app's static folder (``fnmatch`` on the path inside it)
IGNORED = ["drf_spectacular_sidecar/redoc/*"]


class DeskAppDirectoriesFinder(AppDirectoriesFinder):
    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), *IGNORED])
