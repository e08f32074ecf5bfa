# Reconstruction (from memory of its public content, shortened) of the Dockerfile of
# mozilla-services/Dockerflow's Node.js example app. Not a verbatim copy.
FROM node:12-slim

# add a non-privileged user for installing and running the application
RUN groupadd --gid 10001 app && \
    useradd --uid 10001 --gid 10001 --home /app --create-home \
            --shell /usr/sbin/nologin app

WORKDIR /app

# Install node requirements and clean up unneeded cache data
COPY package.json package.json
RUN npm install && \
    npm cache clear --force && \
    rm -rf ~app/.node-gyp

# Finally copy in the app's source files
COPY . /app

ENV PORT=8000
EXPOSE $PORT

USER app
ENTRYPOINT ["npm"]
CMD ["start"]
