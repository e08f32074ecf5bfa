# Alpine's BusyBox adduser without -G: a group named after the user, with GID = UID.
# strict: pass DF201=pass DF202=pass DF203=pass DF101=pass DF401=pass
# mozcloud: pass DF201=pass DF202=pass
# image strict: pass DF201=pass DF202=pass DF203=pass DF101=pass DF401=pass
# image mozcloud: pass DF201=pass DF202=pass
FROM node:22-alpine
RUN adduser -D -H -u 10001 app
WORKDIR /app
COPY version.json ./
COPY --from=builder /out/dist/ ./dist/
USER app
ENTRYPOINT ["node"]
CMD ["dist/server.js"]
