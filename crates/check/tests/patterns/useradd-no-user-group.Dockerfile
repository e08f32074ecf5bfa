# useradd -N: the primary group is the default one (users, 100), not app.
# strict: fail DF202=fail DF201=skipped DF203=pass
# image strict: fail DF202=fail DF201=fail DF203=pass
# mozcloud: pass DF202=warn DF201=skipped
# image mozcloud: pass DF202=warn DF201=warn
FROM debian:bookworm-slim
RUN useradd -u 10001 -N app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
