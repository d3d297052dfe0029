#!/usr/bin/env bash
# Bench only (not CI): installs nginx from Debian for the nginx rows of `npm run bench:gateway`.
# Guarded like the CI step: nothing happens if nginx is already installed; installing needs root.
set -euo pipefail
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then echo "nginx already installed: $(command -v nginx || echo /usr/sbin/nginx)"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "nginx is not installed; run this as root (or: sudo apt-get install -y nginx-light)" >&2; exit 1; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
# The package may start a system nginx on port 80; the bench runs its own on a free loopback port.
if command -v service >/dev/null; then service nginx stop >/dev/null 2>&1 || true; fi
echo "nginx installed: $(command -v nginx || echo /usr/sbin/nginx)"
