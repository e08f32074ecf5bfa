# The reference application's image, built to Dockerflow's letter (CONTRACT section 2):
# group app 10001 and user app 10001 in it, everything under /app owned by root and read-only
# for app, USER app, exec-form ENTRYPOINT and CMD, ENV PORT=8000, EXPOSE 8000, OCI labels.
#
# CI writes version.json first (the four keys: source, version, commit, build), then builds:
#
#   docker build -t dockerflow-demo \
#     --build-arg SOURCE_URL=https://github.com/OWNER/REPO \
#     --build-arg REVISION="$(git rev-parse HEAD)" --build-arg VERSION="$(git describe --tags)" .
#
# With a binary compiled on the host instead of in the Rust stages (BuildKit then skips them):
#
#   cargo build --release -p dockerflow-demo
#   DOCKER_BUILDKIT=1 docker build --build-arg BINARY_FROM=host -t dockerflow-demo .

ARG RUST_IMAGE=rust:1-slim-bookworm
# Debian 12 with glibc, libgcc and CA certificates, no shell: what a Rust binary needs.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12
# "builder" compiles in the Rust stages; "host" takes target/release/dockerflow-demo.
ARG BINARY_FROM=builder

# Dependencies only: manifests and Cargo.lock with empty sources. This layer is rebuilt when a
# manifest changes, not when code does.
FROM ${RUST_IMAGE} AS planner
WORKDIR /src
COPY . .
RUN sh deploy/image/cargo-skeleton.sh /src /skeleton

FROM ${RUST_IMAGE} AS dependencies
WORKDIR /build
COPY --from=planner /skeleton/ ./
RUN cargo build --release --locked -p dockerflow-demo

FROM dependencies AS builder
COPY . .
# The skeleton's stand-ins are older than the real sources, but make sure cargo sees them.
RUN find crates bench xtask -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p dockerflow-demo \
    && cp target/release/dockerflow-demo /dockerflow-demo

FROM scratch AS host
COPY target/release/dockerflow-demo /dockerflow-demo

FROM ${BINARY_FROM} AS binary

FROM ${RUNTIME_IMAGE}
ARG SOURCE_URL=https://github.com/dockerflow-rs/dockerflow
ARG REVISION=unknown
ARG VERSION=
LABEL org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.title="dockerflow-demo" \
      org.opencontainers.image.description="The Dockerflow reference application: a link shortener"
# The base's accounts plus group app (10001) and user app (10001, primary group app).
COPY deploy/image/passwd /etc/passwd
COPY deploy/image/group /etc/group
# The application: owned by root, so user app can read and run it but not change it.
COPY --from=binary /dockerflow-demo /app/bin/dockerflow-demo
COPY crates/demo/static /app/static
COPY version.json /app/version.json
# The one writable place besides /tmp: the SQLite data directory, a volume.
COPY --chown=10001:10001 deploy/image/data/ /data/
VOLUME ["/data"]
ENV PORT=8000 \
    DATA_DIR=/data \
    DOCKERFLOW_STATIC_DIR=/app/static \
    DOCKERFLOW_VERSION_FILE=/app/version.json
EXPOSE 8000
WORKDIR /app
USER app
# The self-probe: the image has no shell, curl or wget, and needs none.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/app/bin/dockerflow-demo", "healthcheck"]
ENTRYPOINT ["/app/bin/dockerflow-demo"]
CMD ["serve"]
