# A node service in its own top-level directory, run by a runtime from there.
# strict: fail DF101=fail DF301=fail DF302=pass
# mozcloud: fail DF101=fail DF301=warn
# image strict: fail DF101=fail DF301=fail DF302=pass
# image mozcloud: fail DF101=fail DF301=warn
FROM node:22-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app
WORKDIR /svc
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
COPY version.json /app/version.json
USER app
CMD ["node", "server.js"]
