# useradd without a group on a base this checker does not know: its login.defs decides.
# strict: pass DF201=skipped DF202=skipped DF203=pass
# image/usergroups strict: pass DF201=pass DF202=pass DF203=pass
# image/users-group strict: fail DF201=fail DF202=fail DF203=pass
# mozcloud: pass DF201=skipped DF202=skipped
# image/usergroups mozcloud: pass DF201=pass DF202=pass
# image/users-group mozcloud: pass DF201=warn DF202=warn
FROM registry.example.com/platform/runtime:4
RUN useradd -u 10001 -M app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER app
ENTRYPOINT ["/app/service"]
CMD ["serve"]
