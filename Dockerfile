# syntax=docker/dockerfile:1
# The manager image: a static binary on distroless, running as nonroot.
#
#   docker build -t ghcr.io/lightning-operator/lightning-operator:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t IMAGE --push .

FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace

# Dependencies first, so source edits reuse this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

# Only what the manager imports.
COPY main.go ./
COPY api/ api/
COPY controllers/ controllers/
COPY webhooks/ webhooks/
COPY internal/ internal/

RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/manager .

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /out/manager /manager
# 65532 is distroless' nonroot user; config/manager runs with runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["/manager"]
