# shellcheck shell=bash
# The local AWS stack: Amazon's DynamoDB Local and moto (SQS, SES, S3, Secrets Manager), no Docker,
# no AWS account.
#
# Source this file, then call `stack_up`: it installs the emulators on first use (pinned, into
# .local/, which git ignores), starts them on free loopback ports, waits until they answer, exports
# the AWS_* variables that point the SDK at them, and stops them when the calling script exits,
# whether it succeeds, fails or is interrupted.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/.local"
TOOLS="$ROOT/scripts/tools"
DYNAMODB_LOCAL="$LOCAL/dynamodb-local"
STACK_PIDS=()

if [[ -t 2 ]]; then BOLD=$'\033[1m' RED=$'\033[31m' PLAIN=$'\033[0m'; else BOLD="" RED="" PLAIN=""; fi
say() { printf '%s==>%s [%dm%02ds] %s\n' "$BOLD" "$PLAIN" $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
die() { printf '%serror:%s %s\n' "$RED" "$PLAIN" "$*" >&2; exit 1; }

# xtask <arguments>: the developer commands, built as part of the whole workspace. `cargo xtask`
# (an alias for `cargo run -p xtask`) resolves the features of xtask alone, so after a workspace
# build it recompiles much of the dependency graph once more (three minutes on a clean clone).
# In `$(xtask ...)`, `set -e` does not apply: a failed build returns at once rather than running
# whatever binary an earlier build left.
xtask() {
  cargo build --workspace --bins --quiet || return
  "${CARGO_TARGET_DIR:-$ROOT/target}/debug/xtask" "$@"
}

# require <command> <what to install if it is missing>
require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}

# locked <name> <command...>: runs the command holding .local/.install-<name>.lock, so that the
# background prefetch (prefetch_tools) and a script that needs the same tool never install it at
# once: the second waits, then finds it installed.
locked() {
  local name="$1"
  shift
  mkdir -p "$LOCAL"
  (
    flock 9
    "$@"
  ) 9>"$LOCAL/.install-$name.lock"
}

# Installs $1 with `pip install -r $2` into its own virtualenv under .local/, unless the
# requirements it was installed from are unchanged.
install_venv() { locked "venv-$1" unlocked_install_venv "$@"; }
unlocked_install_venv() {
  local venv="$LOCAL/$1" requirements="$2"
  if [[ -x "$venv/bin/python" ]] && cmp -s "$requirements" "$venv/installed-requirements.txt"; then
    return
  fi
  require python3 "Install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)."
  say "installing $1 into .local/$1 (first run only; about a minute)"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 cannot create a virtualenv (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed-requirements.txt"
}

install_dynamodb_local() { locked dynamodb-local unlocked_install_dynamodb_local; }
unlocked_install_dynamodb_local() {
  if [[ -f "$DYNAMODB_LOCAL/DynamoDBLocal.jar" ]] &&
    cmp -s "$TOOLS/dynamodb-local/package-lock.json" "$DYNAMODB_LOCAL/package-lock.json"; then
    return
  fi
  require npm "Install Node.js 18 or newer with npm (https://nodejs.org/ or Debian: apt-get install nodejs npm)."
  say "installing Amazon's DynamoDB Local into .local/dynamodb-local (first run only)"
  local staging="$LOCAL/dynamodb-npm"
  rm -rf "$staging" "$DYNAMODB_LOCAL"
  mkdir -p "$staging"
  cp "$TOOLS/dynamodb-local/package.json" "$TOOLS/dynamodb-local/package-lock.json" "$staging/"
  (cd "$staging" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
  # Only the emulator is needed, not the npm package's 300 MB of JavaScript around it.
  mv "$staging/node_modules/amplify-dynamodb-simulator/emulator" "$DYNAMODB_LOCAL"
  cp "$TOOLS/dynamodb-local/package-lock.json" "$DYNAMODB_LOCAL/"
  rm -rf "$staging"
}

# install_debian_package <command> <package>: installs a Debian package the tests need, when the
# command is missing and this is a Debian machine we may administer; otherwise says what to do.
# npm_ci <folder>: the npm packages its package-lock.json pins, unless they are installed.
npm_ci() { locked "npm-${1//\//-}" unlocked_npm_ci "$1"; }
unlocked_npm_ci() {
  local dir="$ROOT/$1"
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/installed-lock.json" 2>/dev/null; then
    return
  fi
  require npm "Install Node.js 20 or newer with npm (https://nodejs.org/ or Debian: apt-get install nodejs npm)."
  say "installing the npm packages of $1"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  cp "$dir/package-lock.json" "$dir/node_modules/installed-lock.json"
}

# Installs every pinned tool the scripts use, one after another, logging to
# .local/logs/prefetch.log. CI runs it in the background while cargo compiles, which leaves the
# network and disk idle otherwise. A failure leaves no installed marker, so the script that needs
# the tool installs it again in the foreground and fails there, loudly.
prefetch_tools() {
  mkdir -p "$LOCAL/logs"
  {
    install_venv lint "$TOOLS/lint-requirements.txt"
    npm_ci scripts/tools/lint-js
    install_venv sam "$TOOLS/sam-requirements.txt"
    npm_ci infra
    npm_ci tests/browser
    install_venv schemathesis "$TOOLS/schemathesis-requirements.txt"
    install_dynamodb_local
    install_venv moto "$TOOLS/moto-requirements.txt"
    install_venv cargo-lambda "$TOOLS/cargo-lambda-requirements.txt"
  } >"$LOCAL/logs/prefetch.log" 2>&1 || true
}

install_debian_package() {
  command -v "$1" >/dev/null 2>&1 && return
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing $2 (for $1) with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } ||
      die "could not install $2; install it (it provides $1) and run again"
  else
    die "$1 is not installed. Install $2 (Debian/Ubuntu: sudo apt-get install $2; macOS: brew install poppler)."
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for <name> <pid> <log> <command...>: retries the command until it succeeds.
wait_for() {
  local name="$1" pid="$2" log="$3"
  shift 3
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then return; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      die "$name exited during start-up (log above, in full at $log)"
    fi
    sleep 0.2
  done
  tail -n 20 "$log" >&2
  die "$name did not answer within 30 seconds (log: $log)"
}

stack_down() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STACK_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
}

# stack_up [--persist DIR]: starts the emulators. With --persist, DynamoDB Local keeps its data in
# DIR instead of in memory.
stack_up() {
  local persist=""
  if [[ "${1:-}" == "--persist" ]]; then persist="$2"; fi
  require java "Install Java 17 or newer, which runs DynamoDB Local (Debian: apt-get install openjdk-17-jre-headless)."
  require curl "Install curl (Debian: apt-get install curl)."
  install_dynamodb_local
  install_venv moto "$TOOLS/moto-requirements.txt"

  mkdir -p "$LOCAL/logs"
  trap stack_down EXIT
  trap 'exit 130' INT TERM

  local dynamodb_port moto_port storage=(-inMemory)
  dynamodb_port="$(free_port)"
  moto_port="$(free_port)"
  if [[ -n "$persist" ]]; then
    mkdir -p "$persist"
    storage=(-dbPath "$persist")
  fi

  say "starting DynamoDB Local on 127.0.0.1:$dynamodb_port"
  # -sharedDb: one database for every caller. Without it DynamoDB Local keeps one per access key
  # id, and every function calls with its own (see xtask/src/iam).
  # From .local/, where DynamoDB Local writes its metadata file.
  (cd "$LOCAL" && exec java -Djava.library.path="$DYNAMODB_LOCAL/DynamoDBLocal_lib" \
    -jar "$DYNAMODB_LOCAL/DynamoDBLocal.jar" -sharedDb "${storage[@]}" -port "$dynamodb_port" -disableTelemetry \
    >"$LOCAL/logs/dynamodb.log" 2>&1) &
  STACK_PIDS+=("$!")
  local dynamodb_pid="$!"

  say "starting moto (SQS, SES, S3, Secrets Manager) on 127.0.0.1:$moto_port"
  "$LOCAL/moto/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$LOCAL/logs/moto.log" 2>&1 &
  STACK_PIDS+=("$!")
  local moto_pid="$!"

  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$dynamodb_port"
  export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$moto_port"
  export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$moto_port"
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$moto_port"
  export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$moto_port"
  export AWS_ENDPOINT_URL_CLOUDFRONT="http://127.0.0.1:$moto_port"

  wait_for "DynamoDB Local" "$dynamodb_pid" "$LOCAL/logs/dynamodb.log" \
    curl -sf -X POST "$AWS_ENDPOINT_URL_DYNAMODB" -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}'
  wait_for "moto" "$moto_pid" "$LOCAL/logs/moto.log" curl -sf "http://127.0.0.1:$moto_port/moto-api/data.json"
  say "local AWS stack is up (logs in .local/logs/)"
}
