# The container images of the runtime and the operator: one `ors` program, so one build
# stage, and one target per image that differs only in its default command and ports.
# Build from the repository root:
#   docker build --target runtime  -t ors-runtime .
#   docker build --target operator -t ors-operator .
# Node 24 on distroless: no shell, no package manager, non-root (uid 65532). The
# process is PID 1 and installs its own SIGTERM/SIGINT handlers (graceful shutdown),
# so no init shim is needed. It writes nothing outside mounted volumes (the file session
# store's directory), so readOnlyRootFilesystem works.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY runtime ./runtime
COPY operator ./operator
# `make build`'s steps without make (not in the slim image): compile, then copy the
# files the code reads at run time (OpenAPI, schemas, strategies) beside the output.
RUN node_modules/.bin/tsc -p tsconfig.build.json \
 && find runtime operator -type f ! -name '*.ts' -exec cp --parents {} dist/ \; \
 && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot AS ors
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "runtime/cli/ors.js"]

FROM ors AS operator
# /metrics, /healthz and /readyz (--metrics-bind-address).
EXPOSE 8080
CMD ["operator"]

# Last, so that a plain `docker build .` builds the runtime.
FROM ors AS runtime
# REST API and /heartbeat (http-port); the primary-to-backup sync channel (sync-port).
EXPOSE 8080 8081
CMD ["runtime"]
