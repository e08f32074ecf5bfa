# Reconstruction (from memory, shortened) of a typical Alpine-based Dockerflow service image.
# Not a verbatim copy of any one repository.
FROM alpine:3.20

RUN addgroup -S -g 10001 app && adduser -S -u 10001 -G app app

RUN apk add --no-cache ca-certificates tini

WORKDIR /app
COPY --chown=app:app ./dist /app
COPY version.json /app/version.json

ENV PORT=8000
EXPOSE 8000
LABEL org.opencontainers.image.source="https://github.com/example/service" \
      org.opencontainers.image.revision="0000000"

USER app
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["/app/service"]
