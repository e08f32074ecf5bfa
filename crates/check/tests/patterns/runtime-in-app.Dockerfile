# A Python service under /app, started by gunicorn installed in the system site-packages.
# strict: pass DF101=pass DF401=skipped DF201=pass DF202=pass DF203=pass DF301=pass DF302=pass
# mozcloud: pass DF101=pass
# image strict: pass DF101=pass DF401=pass DF201=pass DF202=pass DF203=pass DF301=pass DF302=pass
# image mozcloud: pass DF101=pass
FROM python:3.12-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --no-create-home app
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt
WORKDIR /app
COPY . .
USER app
ENTRYPOINT ["gunicorn"]
CMD ["app.wsgi:application", "--bind", "0.0.0.0:8000"]
