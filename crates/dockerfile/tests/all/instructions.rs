//! Every instruction, one line each.

use crate::common::{check, check_one};

#[test]
fn from() {
    check("FROM debian:12", "FROM debian:12");
    check("FROM debian AS build", "FROM debian AS build");
    check("FROM debian as Build", "FROM debian AS build");
    check(
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build",
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build",
    );
    check("FROM scratch", "FROM scratch");
}

#[test]
fn run() {
    check_one("RUN make", "RUN shell[make]");
    check_one(
        "RUN --mount=type=cache,target=/root/.cache --network=none make",
        "RUN --mount=type=cache,target=/root/.cache --network=none shell[make]",
    );
    check_one("RUN [\"make\", \"all\"]", "RUN exec[\"make\", \"all\"]");
}

#[test]
fn cmd_and_entrypoint() {
    check_one("CMD [\"start\"]", "CMD exec[\"start\"]");
    check_one("CMD npm start", "CMD shell[npm start]");
    check_one("ENTRYPOINT [\"npm\"]", "ENTRYPOINT exec[\"npm\"]");
    check_one("ENTRYPOINT exec npm", "ENTRYPOINT shell[exec npm]");
}

#[test]
fn label() {
    check_one("LABEL a=b", "LABEL a=[b]");
    check_one(
        "LABEL org.opencontainers.image.source=\"https://x\" version=1",
        "LABEL org.opencontainers.image.source=[\"https://x\"] version=[1]",
    );
    check_one(
        "LABEL \"key with space\"=\"v w\"",
        "LABEL \"key with space\"=[\"v w\"]",
    );
    check_one(
        "LABEL description This is it",
        "LABEL description=[This is it]",
    );
    check_one("LABEL a=b \\\n      c=d", "LABEL a=[b] c=[d]");
}

#[test]
fn expose() {
    check_one("EXPOSE 8000", "EXPOSE [\"8000\"]");
    check_one(
        "EXPOSE 80/tcp 443 53/udp",
        "EXPOSE [\"80/tcp\", \"443\", \"53/udp\"]",
    );
    check_one("EXPOSE $PORT", "EXPOSE [\"$PORT\"]");
}

#[test]
fn env() {
    check_one("ENV PORT=8000", "ENV PORT=[8000]");
    check_one("ENV PORT 8000", "ENV PORT=[8000]");
    check_one("ENV MSG hello world", "ENV MSG=[hello world]");
    check_one(
        "ENV a=1 b=\"v 2\" c='x y' d=e\\ f",
        "ENV a=[1] b=[\"v 2\"] c=['x y'] d=[e\\ f]",
    );
    check_one("ENV EMPTY=", "ENV EMPTY=[]");
}

#[test]
fn add_and_copy() {
    check_one("COPY . /app", "COPY [\".\"] -> /app");
    check_one("COPY a b /dir/", "COPY [\"a\", \"b\"] -> /dir/");
    check_one(
        "COPY --from=build --chown=app:app --chmod=0755 --link /out /app",
        "COPY --from=build --chown=app:app --chmod=0755 --link [\"/out\"] -> /app",
    );
    check_one(
        "COPY [\"a b\", \"/c d/\"]",
        "COPY [\"a b\"] -> /c d/ (json)",
    );
    check_one(
        "ADD https://x/y.tgz /tmp/",
        "ADD [\"https://x/y.tgz\"] -> /tmp/",
    );
    check_one(
        "ADD --checksum=sha256:abc --keep-git-dir=true git@x:y /src",
        "ADD --checksum=sha256:abc --keep-git-dir=true [\"git@x:y\"] -> /src",
    );
    check_one("COPY -- --weird /x", "COPY [\"--weird\"] -> /x");
    check_one(
        "COPY --chown=\"app:app\" a /b",
        "COPY --chown=app:app [\"a\"] -> /b",
    );
}

#[test]
fn volume() {
    check_one("VOLUME /data", "VOLUME [\"/data\"]");
    check_one("VOLUME /a /b", "VOLUME [\"/a\", \"/b\"]");
    check_one("VOLUME [\"/a\", \"/b\"]", "VOLUME [\"/a\", \"/b\"]");
}

#[test]
fn user_workdir_stopsignal_maintainer() {
    check_one("USER app", "USER [app]");
    check_one("USER 10001:10001", "USER [10001:10001]");
    check_one("WORKDIR /app", "WORKDIR [/app]");
    check_one("STOPSIGNAL SIGTERM", "STOPSIGNAL [SIGTERM]");
    check_one(
        "MAINTAINER Jane <j@example.com>",
        "MAINTAINER [Jane <j@example.com>]",
    );
}

#[test]
fn arg() {
    check_one("ARG VERSION", "ARG VERSION");
    check_one("ARG VERSION=1.0", "ARG VERSION=[1.0]");
    check_one("ARG A=1 B C=\"x y\"", "ARG A=[1] B C=[\"x y\"]");
    check_one("ARG EMPTY=", "ARG EMPTY=[]");
}

#[test]
fn onbuild() {
    check_one("ONBUILD RUN make", "ONBUILD RUN shell[make]");
    check_one(
        "ONBUILD COPY --from=x a /b",
        "ONBUILD COPY --from=x [\"a\"] -> /b",
    );
    check_one("onbuild user app", "ONBUILD USER [app]");
}

#[test]
fn healthcheck() {
    check_one("HEALTHCHECK NONE", "HEALTHCHECK NONE");
    check_one(
        "HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD curl -f http://localhost/__lbheartbeat__",
        "HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD shell[curl -f http://localhost/__lbheartbeat__]",
    );
    check_one(
        "HEALTHCHECK cmd [\"wget\", \"-q\", \"-O-\", \"http://localhost\"]",
        "HEALTHCHECK CMD exec[\"wget\", \"-q\", \"-O-\", \"http://localhost\"]",
    );
}

#[test]
fn shell() {
    check_one(
        "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
        "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
    );
    check_one(
        "SHELL [\"powershell\", \"-command\"]",
        "SHELL [\"powershell\", \"-command\"]",
    );
}

#[test]
fn every_keyword_is_known() {
    assert_eq!(dockerflow_dockerfile::KEYWORDS.len(), 18);
}
