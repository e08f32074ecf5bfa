# USER names a variable that no ARG or ENV sets: it reads as `USER ` and the container runs as root.
# strict: fail DF203=fail DF201=pass DF202=pass DF101=pass DF401=pass
# mozcloud: fail DF203=fail
# image strict: fail DF203=fail DF201=pass DF202=pass DF101=pass DF401=pass
# image mozcloud: fail DF203=fail
FROM debian:bookworm-slim
RUN groupadd -g 10001 app && useradd -u 10001 -g app -M app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER $USERNAME
ENTRYPOINT ["/app/service"]
CMD ["serve"]
