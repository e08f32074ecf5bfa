# A database URL with its password set by ENV: in the image config for anyone who pulls it.
# strict: fail DF501=fail DF101=pass DF201=pass DF202=pass DF203=pass DF401=pass
# mozcloud: fail DF501=fail
# image strict: fail DF501=fail DF101=pass DF201=pass DF202=pass DF203=pass DF401=pass
# image mozcloud: fail DF501=fail
FROM debian:bookworm-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --no-create-home app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
ENV DATABASE_URL=postgres://app:s3cr3t-pw@db.internal:5432/app
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
