# The service lives in /srv/svc; only version.json is copied to /app.
# strict: fail DF101=fail DF401=pass DF201=pass DF202=pass DF203=pass DF301=pass DF302=pass
# mozcloud: fail DF101=fail
# image strict: fail DF101=fail DF401=pass DF201=pass DF202=pass DF203=pass DF301=pass DF302=pass
# image mozcloud: fail DF101=fail
FROM python:3.12-slim AS build
WORKDIR /build
COPY requirements.txt .
RUN pip install --prefix=/install -r requirements.txt

FROM python:3.12-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --no-create-home app
COPY --from=build /install /usr/local
COPY . /srv/svc
COPY version.json /app/version.json
WORKDIR /srv/svc
USER app
ENTRYPOINT ["/srv/svc/bin/run"]
CMD ["web"]
