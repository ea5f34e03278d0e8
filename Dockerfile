# Builds everything inside Docker; nothing has to be built on the host first.
#
#   docker compose up --build          # the whole demo (see docker-compose.yaml)
#   docker build --target grafana .    # Grafana with the plugin and the provisioning
#   docker build --target seed .       # the demo data generator (pmseed)
#
# The frontend and the Go binaries are built on the build machine's platform ($BUILDPLATFORM);
# the Go binaries are cross-compiled for the target ($TARGETARCH), so the images also run on arm64.

ARG GRAFANA_VERSION=12.4.10
ARG NODE_IMAGE=node:22-bookworm
ARG GO_IMAGE=golang:1.26-bookworm

# ---------------------------------------------------------------------------------------------
# Frontend: dist/module.js, dist/plugin.json, dist/img (the Grafana plugin toolchain, webpack).
# package.json pins Node through the `node` devDependency; `npm run` puts that binary first on PATH.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && test -f dist/module.js && test -f dist/plugin.json

# ---------------------------------------------------------------------------------------------
# Backend and generator: static Go binaries (CGO_ENABLED=0).
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS backend
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY pkg ./pkg
COPY cmd ./cmd
# The executable name must be plugin.json's "executable" + _<os>_<arch>: Grafana looks for
# gpx_peermetrics_linux_amd64 or gpx_peermetrics_linux_arm64. Without BuildKit TARGETARCH is empty:
# then the build machine's architecture is used.
RUN set -eux; \
    os="${TARGETOS:-linux}"; arch="${TARGETARCH:-$(go env GOARCH)}"; \
    mkdir -p /out/plugin; \
    GOOS="$os" GOARCH="$arch" go build -trimpath -ldflags "-s -w" \
        -o "/out/plugin/gpx_peermetrics_${os}_${arch}" ./pkg; \
    GOOS="$os" GOARCH="$arch" go build -trimpath -ldflags "-s -w" -o /out/pmseed ./cmd/pmseed

# ---------------------------------------------------------------------------------------------
# seed: a one-shot container that fills an empty Peermetrics database with demo data. Alpine rather
# than distroless so docker-compose.yaml can skip seeding with a shell test (SEED_PROFILE=none).
FROM alpine:3.22 AS seed
COPY --from=backend /out/pmseed /usr/local/bin/pmseed
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/pmseed"]
CMD ["-profile", "demo", "-create-schema", "-wait", "60", "-if-empty"]

# ---------------------------------------------------------------------------------------------
# grafana: Grafana with the plugin installed and the data source, dashboards and alert rules
# provisioned. Last stage, so a plain `docker build .` gives this image.
FROM grafana/grafana:${GRAFANA_VERSION} AS grafana
ENV GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=peermetrics-webrtc-datasource
COPY --from=frontend /src/dist/ /var/lib/grafana/plugins/peermetrics-webrtc-datasource/
COPY --from=backend /out/plugin/ /var/lib/grafana/plugins/peermetrics-webrtc-datasource/
COPY provisioning/datasources/ /etc/grafana/provisioning/datasources/
COPY provisioning/dashboards/ /etc/grafana/provisioning/dashboards/
COPY provisioning/alerting/ /etc/grafana/provisioning/alerting/
# Grafana's database lives outside /var/lib/grafana so that a volume for it never hides the plugin
# of a newer image (docker-compose.yaml mounts a volume here).
ENV GF_PATHS_DATA=/var/lib/grafana-data
USER root
RUN mkdir -p /var/lib/grafana-data && chown 472:0 /var/lib/grafana-data && chmod 770 /var/lib/grafana-data
USER 472
