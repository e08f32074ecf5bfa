# A compiled service with no version.json anywhere: nothing in the file can put it in /app.
# strict: fail DF401=fail DF101=pass DF201=skipped DF202=skipped DF203=pass DF301=pass DF302=pass
# mozcloud: fail DF401=fail DF203=pass
# image strict: fail DF401=fail DF101=pass DF201=fail DF202=fail DF203=pass DF301=pass DF302=pass
# image mozcloud: fail DF401=fail DF201=warn DF202=warn DF203=pass
FROM rust:1 AS build
WORKDIR /src
COPY . .
RUN cargo build --release

FROM gcr.io/distroless/cc-debian12
COPY --from=build /src/target/release/service /app/service
COPY --from=build /src/static /app/static
USER 10001:10001
ENTRYPOINT ["/app/service"]
CMD ["serve"]
