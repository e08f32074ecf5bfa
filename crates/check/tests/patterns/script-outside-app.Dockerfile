# A shell-form CMD that execs a script outside /app.
# strict: fail DF101=fail DF401=skipped DF301=fail DF302=warn
# image strict: fail DF101=fail DF301=fail DF302=warn
# mozcloud: fail DF101=fail DF301=warn DF302=warn
# image mozcloud: fail DF101=fail DF301=warn DF302=warn
FROM debian:bookworm-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
WORKDIR /app
COPY . .
COPY start.sh /opt/start.sh
USER app
CMD /app/bin/migrate && exec /opt/start.sh --port $PORT
