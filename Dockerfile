# The OGDC service image. Not built in this repository's CI (no Docker engine
# there); see docs/deployment.md. Build: docker build -t ogdc-service .

# Stage 1: install, compile src/ to dist/ (npm ci runs `prepare`, which needs
# TypeScript, a dev dependency), then drop the dev dependencies. tsx stays: it
# is a runtime dependency, bin/ogdc-runner.js falls back to the sources with it.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# Stage 2: the runtime, small and without compilers.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    OGDC_DATA_DIR=/data \
    PORT=8000
WORKDIR /app
# The local engine sandboxes every recipe step with bubblewrap (and prlimit from util-linux) and refuses to start
# without it; the fetch step's outbound network needs slirp4netns and iproute2 (ip); the process and memory limits
# use cgroups when the container's cgroup is writable, else per-process limits (with a warning). The container
# needs user namespaces (e.g. docker run --security-opt seccomp=unconfined, or OGDC_LOCAL_SANDBOX=none for a
# loopback-only development service).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap util-linux slirp4netns iproute2 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/package-lock.json /app/tsconfig.json ./
# src/ is copied before dist/ is built, so dist/.built-at is newer than every
# source file and bin/ogdc-runner.js runs the compiled code.
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Embedded mode keeps its database and secrets in /data; production sets
# OGDC_DB_HOST and ARGO_WORKFLOWS_SERVICE_URL and needs no volume.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8000
# Node has fetch; the slim image has no curl. API_ROOT_PATH prefixes every route.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const root=(process.env.API_ROOT_PATH||'').replace(/\\/$/,'');fetch('http://127.0.0.1:'+process.env.PORT+root+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# serve handles SIGTERM itself (stops accepting, finishes in-flight requests,
# closes the database), so node can run as PID 1 without an init wrapper.
CMD ["sh", "-c", "exec node bin/ogdc-runner.js serve --host 0.0.0.0 --port \"$PORT\""]
