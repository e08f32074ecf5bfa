# useradd without a group on Debian: USERGROUPS_ENAB creates group app with GID 10001.
# strict: pass DF201=pass DF202=pass DF203=pass DF101=pass DF401=pass
# mozcloud: pass DF201=pass DF202=pass
# image strict: pass DF201=pass DF202=pass DF203=pass DF101=pass DF401=pass
# image mozcloud: pass DF201=pass DF202=pass
FROM python:3.12-slim-bookworm
RUN useradd --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY version.json /app/version.json
COPY --from=builder /out/app/ /app/src/
USER app:app
ENTRYPOINT ["python", "-m", "src"]
CMD ["serve"]
