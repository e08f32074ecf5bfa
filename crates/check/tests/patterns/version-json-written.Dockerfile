# version.json written by a RUN from build arguments: the image decides, not the file.
# strict: pass DF401=skipped DF101=pass DF201=pass DF202=pass DF203=pass DF301=pass
FROM debian:bookworm-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
ARG GIT_SHA=0000000
COPY --from=builder /out/service /app/service
RUN printf '{"source":"https://github.com/example/svc","version":"","commit":"%s","build":""}' \
      "$GIT_SHA" > /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
