# The OGDC service image. Not built in this repository's CI (no Docker engine
# there); see docs/deployment.md. Build: docker build -t ogdc-runner-service .

# Stage 1: production dependencies. tsx is a runtime dependency (the service
# runs the TypeScript sources, no build step), so --omit=dev keeps it.
# argon2 ships prebuilt binaries for glibc; the toolchain of the full image is
# there in case a platform needs a source build.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Stage 2: the runtime, small and without compilers.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    OGDC_DATA_DIR=/data \
    PORT=8000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
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
