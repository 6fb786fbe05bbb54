# oauthconform: the mock provider (`serve`, the default command) and the
# conformance harness (`test`) in one static, non-root image.
#
#   docker build -t oauthconform .                  # --build-arg VERSION=v1.2.3 stamps `oauthconform version`
#   docker run --rm -p 8080:8080 oauthconform        # serves on http://localhost:8080
#
# The default command's issuer is http://localhost:8080 (reached from the host).
# From another container pass the URL the clients use, so that the tokens' iss
# and the metadata name it: serve --addr 0.0.0.0:8080 --issuer http://SERVICE:8080

FROM golang:1.26 AS build
# go.mod needs go 1.26.8 or later. The image sets GOTOOLCHAIN=local, so a golang:1.26
# older than that (a stale cached pull) would refuse to build; auto fetches the
# toolchain go.mod names instead.
ENV GOTOOLCHAIN=auto
WORKDIR /src

# The module download is its own layer: it is redone only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w ${VERSION:+-X main.version=${VERSION}}" \
      -o /out/oauthconform ./cmd/oauthconform

# distroless/static: CA certificates, /etc/passwd and /tmp, no shell. The fixtures,
# dialects, schemas and test keys are embedded in the binary.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="oauthconform" \
      org.opencontainers.image.description="OAuth 2.0 conformance harness and mock provider" \
      org.opencontainers.image.source="https://github.com/oauthconform/oauthconform" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/oauthconform /oauthconform
# nonroot (65532), numeric so that runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/oauthconform"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--issuer", "http://localhost:8080"]
