#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need (Debian packages, a local
# PostgreSQL server, npm packages), checks formatting, builds, and runs every test project.
# Usage: ./scripts/test.sh [--no-install] [--filter EXPR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

install=1
filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) install=0 ;;
    --filter) filter="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

# Debian packages the tests use: PostgreSQL (storage tests), Chromium (browser tests),
# ImageMagick (independent PNG decoder), OpenBLAS (the optional GEMM path, tested against ours),
# fontconfig (loaded by SkiaSharp's native library, the PNG/JPEG/WebP decoder of the ONNX path),
# python3-torch (the torchrun run of an embedded-model run folder, checked against our own trainer).
apt_packages=(postgresql chromium imagemagick libopenblas0-pthread libfontconfig1 python3-torch)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$install" = 1 ] && [ "$(id -u)" = 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "== not installing ${missing[*]} (need root and no --no-install); tests that need them are skipped and say why"
  fi
fi

# npm packages served by the web app and used by the reports (committed lock file).
if [ -f src/Pluralist.Web/package.json ]; then
  echo "== npm ci (src/Pluralist.Web)"
  (cd src/Pluralist.Web && npm ci --no-audit --no-fund --loglevel=error)
fi

# A throwaway PostgreSQL server on a local port, for the storage tests.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pg_dir=""
stop_pg() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap stop_pg EXIT
if [ -z "${PLURALIST_TEST_PG:-}" ] && [ -n "$pg_bin" ] && [ "$(id -u)" = 0 ]; then
  pg_dir=$(mktemp -d /tmp/pluralist-pg.XXXXXX)
  chown postgres "$pg_dir"
  port=$((20000 + RANDOM % 20000))
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=300" start >/dev/null
  runuser -u postgres -- "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q \
    -c "CREATE ROLE pluralist LOGIN SUPERUSER PASSWORD 'pluralist'" >/dev/null
  export PLURALIST_TEST_PG="Host=127.0.0.1;Port=$port;Username=pluralist;Password=pluralist;Database=postgres"
  echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== dotnet format --verify-no-changes"
dotnet format Pluralist.slnx --verify-no-changes

echo "== build"
dotnet build Pluralist.slnx -c Release -nologo -clp:ErrorsOnly

echo "== test"
log=$(mktemp)
status=0
for proj in tests/*/*.csproj; do
  args=(test "$proj" -c Release --no-build --nologo)
  [ -n "$filter" ] && args+=(--filter "$filter")
  dotnet "${args[@]}" 2>&1 | tee -a "$log" || status=1
done

passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
