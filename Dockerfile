# Recinto server image: Debian bookworm, the same ./recinto wrapper as on bare metal.
FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates npm python3 python3-pip python3-venv build-essential pkg-config \
      libssl-dev libuv1-dev libsrtp2-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler coturn \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/recinto
COPY . .
ENV RECINTO_CACHE_DIR=/opt/recinto-cache RECINTO_DATA_DIR=/var/lib/recinto
RUN ./recinto setup
EXPOSE 8443/tcp
CMD ["./recinto", "start"]
