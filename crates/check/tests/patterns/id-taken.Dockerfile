# The service user is svc with uid and gid 10001: no app 10001 can exist.
# strict: fail DF201=fail DF202=fail DF203=pass DF101=pass
# mozcloud: pass DF201=warn DF202=warn DF203=pass
# image strict: fail DF201=fail DF202=fail DF203=pass DF101=pass
# image mozcloud: pass DF201=warn DF202=warn DF203=pass
FROM debian:bookworm-slim
RUN groupadd -g 10001 svc && useradd -u 10001 -g svc -M svc
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER svc
ENTRYPOINT ["/app/service"]
CMD ["serve"]
