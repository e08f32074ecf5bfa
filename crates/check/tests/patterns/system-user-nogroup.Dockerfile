# adduser --system without --group: the user joins nogroup, not app.
# strict: fail DF202=fail DF201=skipped DF203=pass
# mozcloud: pass DF202=warn
# image strict: fail DF201=fail DF202=fail DF203=pass
# image mozcloud: pass DF201=warn DF202=warn
FROM debian:bookworm-slim
RUN adduser --system --uid 10001 --no-create-home app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
