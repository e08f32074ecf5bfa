# The application under /app; initial data copied into a VOLUME outside it.
# strict: pass DF101=pass DF401=pass DF201=pass DF202=pass DF203=pass
# image strict: pass DF101=pass DF401=pass DF201=pass DF202=pass DF203=pass
# mozcloud: pass DF101=pass
# image mozcloud: pass DF101=pass
FROM debian:bookworm-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
COPY --from=builder /out/service /app/bin/service
COPY version.json /app/version.json
COPY --chown=10001:10001 seed/ /data/
VOLUME ["/data"]
WORKDIR /app
USER app
ENTRYPOINT ["/app/bin/service"]
CMD ["serve"]
