#!/usr/bin/env bash
# Checks the deploy files without a container engine (none runs in CI here): runs the Dockerfile's build-stage
# `go build` line exactly as written on a clean copy of the tree, checks the binary is static, that it is the binary
# the Procfile names, and that its `healthcheck` subcommand (the image's HEALTHCHECK) passes against a running
# instance and fails without one. The YAML and JSON (compose.yaml, alert rules, Grafana) are checked by
# `go test ./deploy/`. When a Docker engine answers, the image is also really built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

# 1. The build stage's command, taken from the Dockerfile itself, run in a copy of the files `COPY . .` would see.
build=$(sed -n 's/^RUN \(.*go build .*\)$/\1/p' Dockerfile)
[ "$(printf '%s\n' "$build" | grep -c .)" = 1 ] || { echo "check-deploy: want exactly one 'RUN … go build …' line in Dockerfile" >&2; exit 1; }
out=$(printf '%s\n' "$build" | sed -n 's/.* -o \([^ ]*\) .*/\1/p')
git ls-files -z | xargs -0 cp --parents -t "$work"
echo "check-deploy: $build"
(cd "$work" && bash -c "$build")
bin="$work/$out"
[ -x "$bin" ] || { echo "check-deploy: the build did not produce $out" >&2; exit 1; }

# 2. Static (CGO_ENABLED=0): no program interpreter, so it runs on distroless/static or scratch.
if command -v readelf >/dev/null && readelf -l "$bin" | grep -q 'Requesting program interpreter'; then
	echo "check-deploy: $out is dynamically linked" >&2; exit 1
fi

# 3. The Procfile runs the binary that command produces, the release step migrates.
grep -qx "web: $out serve" Procfile || { echo "check-deploy: Procfile's web line must run '$out serve'" >&2; exit 1; }
grep -qx "release: $out migrate" Procfile || { echo "check-deploy: Procfile's release line must run '$out migrate'" >&2; exit 1; }
pkg=$(printf '%s\n' "$build" | awk '{print $NF}')
grep -qx "// +heroku install $pkg" go.mod || { echo "check-deploy: go.mod needs '// +heroku install $pkg' so the buildpack builds $out" >&2; exit 1; }

# 4. HEALTHCHECK: the subcommand passes against a running instance and fails when nothing answers.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORT=$port DATA_DIR=$work/data CONFIG_FILE=none.yaml SANDBOX=true DATABASE_URL= VALKEY_URL= LOG_LEVEL=warn
"$bin" serve >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do "$bin" healthcheck >/dev/null 2>&1 && break; sleep 0.2; done
"$bin" healthcheck || { echo "check-deploy: healthcheck failed against a running instance" >&2; cat "$work/log" >&2; exit 1; }
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
if "$bin" healthcheck >/dev/null 2>&1; then echo "check-deploy: healthcheck passed with nothing running" >&2; exit 1; fi

# 5. The files the other targets read.
(cd "$root" && go test -count=1 ./deploy/)

# 6. A real image build where an engine is available.
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
	docker build -q -t waorder:check . >/dev/null
	echo "check-deploy: docker build ok"
else
	echo "check-deploy: no Docker engine here; checked the build stage's command instead"
fi
echo "check-deploy: ok"
