# Reconstruction (from memory, shortened) of a typical distroless Go service Dockerfile, in the
# shape of mozilla/cicd-demos' go-demo. Not a verbatim copy.
ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/server ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
COPY version.json /app/version.json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=2s CMD ["/server", "-healthcheck", "http://localhost:8000/__lbheartbeat__"]
USER nonroot:nonroot
CMD ["/server"]
