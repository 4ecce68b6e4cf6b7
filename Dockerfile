# MCU case desk — production image, built from the lock file.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production VAR_DIR=/data STATIC_ROOT=/app/staticfiles

# gettext: compilemessages; libpq is bundled in psycopg[binary]. Pango and DejaVu: the
# analytic note's PDF (weasyprint) and charts (matplotlib) with Cyrillic.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz0b libfontconfig1 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 desk

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# Static files are collected at build time with a throwaway key (no secrets in the image).
RUN SECRET_KEY=build-only-$(python -c 'import secrets;print(secrets.token_urlsafe(60))') \
    ALLOWED_HOSTS=build VAR_DIR=/tmp/build \
    python manage.py collectstatic --noinput \
 && mkdir -p /data && chown desk:desk /data

USER desk
EXPOSE 8000
# The access log writes the path without its query string: an Open311 client sends its
# api_key there (GeoReport v2), and keys never reach a log.
CMD ["gunicorn", "mcu.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", \
     "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s %(H)s\" %(s)s %(b)s %(L)ss"]
