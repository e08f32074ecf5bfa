# useradd -U on a base this checker does not know: the group is asked for explicitly.
# strict: pass DF201=pass DF202=pass DF203=pass
# image strict: pass DF201=pass DF202=pass DF203=pass
# mozcloud: pass DF201=pass DF202=pass
# image mozcloud: pass DF201=pass DF202=pass
FROM registry.example.com/platform/runtime:4
RUN useradd -u 10001 -U -M app
COPY --from=builder /out/service /app/service
COPY version.json /app/version.json
USER 10001:10001
ENTRYPOINT ["/app/service"]
CMD ["serve"]
