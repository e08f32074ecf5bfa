# Mozilla's current images: distroless, its nonroot user (65532), CMD only, no ENTRYPOINT.
# strict: fail DF203=fail DF301=fail DF201=skipped DF202=skipped DF101=pass DF302=pass DF401=pass
# mozcloud: pass DF203=warn DF301=warn DF201=skipped DF202=skipped DF101=pass DF401=pass
# image strict: fail DF201=fail DF202=fail DF203=fail DF301=fail DF101=pass DF302=pass DF401=pass
# image mozcloud: pass DF201=warn DF202=warn DF203=warn DF301=warn DF101=pass DF401=pass
FROM rust:1 AS build
WORKDIR /src
COPY . .
RUN cargo build --release

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/service /app/service
COPY version.json /app/version.json
USER nonroot
CMD ["/app/service", "serve"]
