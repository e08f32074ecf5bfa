# useradd --gid 10001 with no groupadd: the build works only if the base image has GID 10001.
# strict: pass DF201=skipped DF202=skipped DF203=pass DF101=pass DF401=pass
# image/base-has-app strict: pass DF201=pass DF202=pass DF203=pass
# image/base-gid-other-name strict: fail DF201=fail DF202=pass DF203=pass
# mozcloud: pass DF201=skipped DF202=skipped
# image/base-has-app mozcloud: pass DF201=pass DF202=pass
# image/base-gid-other-name mozcloud: pass DF201=warn DF202=pass
# With the base's GID 10001 named runtime, DF201 fails; DF202 reads the user's GID number, 10001, and passes.
FROM debian:bookworm-slim
RUN useradd --uid 10001 --gid 10001 --no-create-home app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
