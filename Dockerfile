# berthd in a container. Run it privileged with the state and root dirs from the host:
#   docker run -d --privileged --cgroupns=host -v /run/berth:/run/berth -v /var/lib/berth:/var/lib/berth berth
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY scripts ./scripts
COPY test ./test
COPY openapi ./openapi
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends conmon runc crun tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist/src ./dist/src
COPY openapi ./openapi
VOLUME ["/run/berth", "/var/lib/berth"]
# --max-semi-space-size: see src/launch.ts
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/dist/src/main.js"]
