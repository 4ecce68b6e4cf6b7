"""Settings entry point: ``DJANGO_ENV`` picks development (default) or production."""

import os

if os.environ.get("DJANGO_ENV", "development").strip().lower() == "production":
    from .production import *  # noqa: F403
else:
    from .base import *  # noqa: F403
