FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The runtime requirements only: test, load-test and lint tools stay out of the image
# (requirements-dev.txt; tests/test_requirements.py checks it).
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings that load; this key (50+ characters) is used for nothing else.
RUN DJANGO_SECRET_KEY=build-only-key-not-used-at-run-time-build-only-key-0123456789 DJANGO_DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R nobody:nogroup /app/var
# var/ holds the files the app writes (mail and SMS files, media); everything else stays read-only.
USER nobody
