# syntax=docker/dockerfile:1
# Reconstruction (from memory, shortened) of a python-dockerflow-style Django app's Dockerfile,
# in the shape Mozilla's Django services use. Not a verbatim copy of any one repository.
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000

RUN groupadd --gid 10001 app \
 && useradd -m -g app --uid 10001 -s /usr/sbin/nologin app

RUN apt-get update && \
    apt-get install -y --no-install-recommends build-essential libpq-dev && \
    rm -rf /var/lib/apt/lists/*

WORKDIR /app

FROM base AS builder
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes -r requirements.txt

FROM base AS production
COPY --from=builder /usr/local /usr/local
COPY --chown=app:app . /app
RUN python manage.py collectstatic --noinput

USER app
EXPOSE $PORT
ENTRYPOINT ["/app/bin/run.sh"]
CMD ["web"]
