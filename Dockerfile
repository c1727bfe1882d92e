# netmaint: the Telegram bot that runs the office's network-maintenance SOP.
#
# Build:  docker build -t netmaint .
# Run:    docker run -d --name netmaint --restart unless-stopped \
#           --env-file .env -v netmaint-data:/app/data \
#           -v "$PWD/netmaint.toml:/app/netmaint.toml:ro" \
#           --sysctl net.ipv4.ping_group_range="0 2147483647" \
#           netmaint
#
# ICMP permission (SOP step 4, ping): the bot pings without root through an
# unprivileged ICMP socket, which the kernel allows only to groups listed in
# net.ipv4.ping_group_range. Either widen that range for the container with
# `--sysctl net.ipv4.ping_group_range="0 2147483647"` (preferred), or grant raw
# sockets with `--cap-add NET_RAW`. Without either, step 4 reports ping as
# unavailable and the other steps still run.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NETMAINT_DB=/app/data/netmaint.db

WORKDIR /app

# The documents (netmaint agenda/rekap, /rekap): Typst's compiler ships inside its wheel;
# DejaVu is the font the templates name first. Version of bookworm.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-6 \
    && rm -rf /var/lib/apt/lists/*

# Install the package first (its dependencies are the slow layer).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY checks ./checks
COPY handlers ./handlers
RUN pip install --no-cache-dir . \
    && groupadd --system --gid 10001 netmaint \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin netmaint \
    && mkdir -p /app/data \
    && chown 10001:10001 /app/data

# netmaint.toml (targets, services, sites, vendors) is read from /app when mounted there.
USER 10001:10001
VOLUME ["/app/data"]

# The bot long-polls Telegram; it opens no port. SIGTERM stops it cleanly.
STOPSIGNAL SIGTERM
CMD ["netmaint", "bot"]
