#!/usr/bin/env bash
# Installs the Debian packages the test suite starts itself: PostgreSQL, a JDK
# (stand-in OSCAR classes write real Java serialization), the JAX-WS RI
# (a real JAX-WS client, like OSCAR's, calls FacilityService), and Chromium
# (headless, it renders and screenshots the Integrator Status page).
# Idempotent and quiet when everything is already there.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
[ -f /usr/share/java/jaxws-tools.jar ] || need+=(libjaxws-java)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]} (run as root or install them)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
