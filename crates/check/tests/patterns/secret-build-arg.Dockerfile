# A token passed as a build argument with a default, and a password in a label: both kept in
# the image (config and history), a MUST failure in both profiles.
# strict: fail DF501=fail DF101=pass DF201=pass DF202=pass DF203=pass
# mozcloud: fail DF501=fail
# image strict: fail DF501=fail DF101=pass DF201=pass DF202=pass DF203=pass
# image mozcloud: fail DF501=fail
FROM node:22-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
ARG NPM_TOKEN=npm_AbCdEf0123456789
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
LABEL com.example.db-password=s3cr3t-value
USER app
ENTRYPOINT ["node"]
CMD ["server.js"]
