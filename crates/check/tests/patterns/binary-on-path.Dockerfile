# The binary goes to /usr/local/bin and the entrypoint finds it on PATH; /app holds only data.
# strict: fail DF101=fail DF401=pass DF201=pass DF202=pass DF203=pass DF301=pass
# image strict: fail DF101=fail DF401=pass DF201=pass DF202=pass DF203=pass DF301=pass
# mozcloud: fail DF101=fail DF401=pass
# image mozcloud: fail DF101=fail
FROM debian:bookworm-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
COPY --from=builder /out/service /usr/local/bin/service
COPY templates /app/templates
COPY version.json /app/
USER app
ENTRYPOINT ["tini", "--", "service"]
CMD ["serve"]
