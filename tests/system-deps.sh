#!/usr/bin/env bash
# Installs the Debian packages the test suite starts itself: a C compiler (setup.py
# compiles the push decoder), PostgreSQL, a JDK
# (stand-in OSCAR classes write real Java serialization), the JAX-WS RI
# (a real JAX-WS client, like OSCAR's, calls FacilityService), Chromium
# (headless, it renders and screenshots the Integrator Status page), and PHP's
# SoapClient and Node.js, two more real SOAP clients. Then node-soap, exactly as
# tests/interop/node/package-lock.json pins it, into build/node-soap (npm's cache
# serves it offline once fetched).
# Idempotent and quiet when everything is already there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)  # setup.py compiles the push decoder
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
[ -f /usr/share/java/jaxws-tools.jar ] || need+=(libjaxws-java)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v php >/dev/null 2>&1 || need+=(php-cli)
php -r 'exit(extension_loaded("soap") ? 0 : 1);' >/dev/null 2>&1 || need+=(php-soap)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# node-soap: reinstalled only when the lock file changes.
lock="$root/tests/interop/node/package-lock.json"
target="$root/build/node-soap"
if ! cmp -s "$lock" "$target/package-lock.json" || [ ! -f "$target/node_modules/soap/package.json" ]; then
  echo "installing node-soap into build/node-soap"
  rm -rf "$target"
  mkdir -p "$target"
  cp "$root/tests/interop/node/package.json" "$lock" "$target/"
  (cd "$target" && npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
fi
