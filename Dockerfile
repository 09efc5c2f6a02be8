# Image for the Pulse API and workers (docker-compose.yml runs it twice: `npm run api`, `npm run worker`).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The npm workspace (the client package) must be there for `npm install` to accept the lock file.
COPY packages/client/package.json ./packages/client/
# `npm install`, not `npm ci`: see .ci/run for why the lockfile cannot satisfy `npm ci` on every registry.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
# The dashboard's page and scripts, bundled by the API on its first request (test/dockerfile.test.ts keeps this list).
COPY dashboard ./dashboard
# Runs an entry point from an esbuild bundle of the sources, made at the first start in .pulse-build/ (the user the
# container runs as may write there, and nowhere else in /app).
COPY scripts/run-bundled.mjs ./scripts/run-bundled.mjs
RUN mkdir .pulse-build && chown node .pulse-build
USER node
EXPOSE 8000
# node directly (not npm, whose shell would swallow SIGTERM), so a stopping container drains its runs.
CMD ["node", "scripts/run-bundled.mjs", "src/main/api.ts"]
