# syntax=docker/dockerfile:1
# Build: docker build -t waorder .   Run: docker run -p 3000:3000 -v waorder-data:/data waorder
# The same binary, built by the same command, as `go build` and the Heroku buildpack produce (README, "Deploy").

FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/waorder ./cmd/waorder
# An empty data directory owned by the runtime user, for the embedded database when DATABASE_URL is not set.
RUN mkdir -p /out/data

# distroless/static: CA certificates and time zones, no shell, no package manager; runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/waorder /usr/local/bin/waorder
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATA_DIR=/data PORT=3000
USER nonroot:nonroot
EXPOSE 3000
VOLUME ["/data"]
# No curl in the image: the binary checks its own /health (200 = up, including "degraded" without Valkey).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/waorder", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/waorder"]
CMD ["serve"]
