# syntax=docker/dockerfile:1
#
# Sluice: one image for every service (gateway, changeprop); the command picks one.
#   docker build -t sluice:0.1.0 .
#   docker run --rm -p 8192:8192 -v "$PWD/config.yaml:/etc/sluice/config/config.yaml:ro" sluice:0.1.0 \
#     gateway --config /etc/sluice/config/config.yaml

# NODE_IMAGE: a Debian bookworm with Node.js 22 and npm on PATH. test/image builds this file with
# buildah on one made from Debian packages and the npm registry (scripts/provision.sh --node-image).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: compile TypeScript with the dev dependencies ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and the compiled output only ------------------------
FROM ${NODE_IMAGE} AS runtime
# git: schemas.source=git in the chart has the gateway clone and poll the schema repository.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric user, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --shell /usr/sbin/nologin sluice
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
# The schema repository and stream config the chart uses unless told otherwise.
COPY schemas ./schemas
COPY stream-config ./stream-config
USER 10001:10001
# gateway (POST /v1/events, /metrics); changeprop admin (/metrics, /healthz, /readyz);
# stream service (GET /v2/stream/…, /metrics)
EXPOSE 8192 7272 8194
ENTRYPOINT ["node", "dist/src/bin/sluice.js"]
CMD ["gateway", "--config", "/etc/sluice/config/config.yaml"]
