# syntax=docker/dockerfile:1
# The official XSDs are third-party data kept outside this repository. The build takes them from
# the `schemas` build context, which replaces the empty stage below:
#   docker build --build-context schemas=../shared/schemas .
# (docker-compose.yml passes HN_SCHEMAS_SOURCE, default ../shared/schemas). Without that context
# the image has no schemas, and the collectstatic step stops the build with a message naming
# HN_SCHEMA_DIR: an image that cannot validate messages is never produced.
FROM scratch AS schemas

# The AMQP 1.0 client has no wheels: build it where a compiler is, install only the wheel.
FROM python:3.11-slim AS amqp-wheel
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY requirements-amqp.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements-amqp.txt

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The runtime requirements only: test, load-test and lint tools stay out of the image
# (requirements-dev.txt; tests/test_requirements.py checks it).
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY requirements-amqp.txt .
COPY --from=amqp-wheel /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels -r requirements-amqp.txt && rm -rf /wheels
COPY --from=schemas / /opt/hn-schemas/
# Validation is required in the image whatever DJANGO_DEBUG says (messaging.apps checks at start-up).
ENV HN_SCHEMA_DIR=/opt/hn-schemas HN_REQUIRE_SCHEMAS=true
COPY . .
# collectstatic needs settings that load; this key (50+ characters) is used for nothing else.
RUN DJANGO_SECRET_KEY=build-only-key-not-used-at-run-time-build-only-key-0123456789 DJANGO_DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R nobody:nogroup /app/var
# var/ holds the files the app writes (mail and SMS files, media); everything else stays read-only.
USER nobody
