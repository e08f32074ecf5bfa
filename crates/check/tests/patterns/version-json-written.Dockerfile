# version.json written by a RUN from build arguments: the image decides, not the file.
# strict: pass DF401=skipped DF101=pass DF201=pass DF202=pass DF203=pass DF301=pass
# image/defaults strict: pass DF401=pass DF402=warn DF404=warn DF101=pass DF201=pass DF202=pass DF203=pass
# image/empty-build-arg strict: fail DF401=fail DF404=skipped
# image/ci-args strict: pass DF401=pass DF101=pass
# mozcloud: pass DF401=skipped
# image/defaults mozcloud: pass DF401=pass DF402=warn
# image/empty-build-arg mozcloud: fail DF401=fail
# image/ci-args mozcloud: pass DF401=pass
FROM debian:bookworm-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
ARG GIT_SHA=0000000
COPY --from=builder /out/service /app/service
RUN printf '{"source":"https://github.com/example/svc","version":"","commit":"%s","build":""}' \
      "$GIT_SHA" > /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
