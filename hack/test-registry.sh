#!/usr/bin/env bash
# Runs local registries for tests, all on 127.0.0.1 with free ports and one shared
# storage directory (an image pushed to one is served by all three):
#   open   - Debian's docker-registry, no authentication
#   basic  - the same with htpasswd Basic auth (bcrypt)
#   token  - the same with Bearer token auth, backed by a small token server
#            (python3 stdlib; JWTs signed RS256 with `openssl dgst`, key and
#            self-signed cert generated in the workdir)
#
#   hack/test-registry.sh start <workdir>   # prints and writes <workdir>/registry.env
#   hack/test-registry.sh stop <workdir>
#   hack/test-registry.sh serve <workdir>   # the same servers as this script's children:
#       it writes registry.env, closes its stdout and stderr (the caller's sign that
#       the registries serve) and stays until SIGTERM; the servers die with it, also
#       when it is killed (each gets SIGKILL at its parent's death), so a test
#       binary that ends abnormally leaves none behind.
# BERTH_TEST_REGISTRY_STORAGE, when set, is the storage directory (e.g. shared across
# test runs so that images pushed once stay); default <workdir>/storage.
set -euo pipefail

usage() { echo "usage: $0 start|stop|serve <workdir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
work=$(mkdir -p "$2" && cd "$2" && pwd)

BASIC_USER=testuser BASIC_PASSWORD=testpass
TOKEN_USER=tokenuser TOKEN_PASSWORD=tokenpass
SERVICE=berth-test-registry ISSUER=berth-test-issuer
storage=${BERTH_TEST_REGISTRY_STORAGE:-$work/storage}

stop() {
  local f pid
  for f in "$work"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {  # url: wait until it answers at all (any HTTP status)
  for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
    [ "$code" != "000" ] && return 0
    sleep 0.1
  done
  echo "test-registry: $1 did not come up; logs in $work" >&2
  return 1
}

registry_config() {  # name port auth-yaml
  cat > "$work/$1.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog: {disabled: true}
storage:
  filesystem: {rootdirectory: $storage}
  delete: {enabled: true}
  maintenance:
    uploadpurging: {enabled: false}
http:
  addr: 127.0.0.1:$2
  secret: berth-test-secret
$3
YAML
}

write_token_server() {
  cat > "$work/token_server.py" <<'PY'
# Test token server for docker-registry's `auth: token:` (Bearer). Grants the
# requested scopes to the one configured user; anonymous callers get a token
# with no access (so the registry denies them). Logs every request to
# requests.log so tests can count token fetches.
import base64, json, os, subprocess, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

port, key, cert, issuer, service, user, password, log = sys.argv[1:9]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                     capture_output=True, check=True).stdout
cert_b64 = base64.b64encode(der).decode()

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

class Handler(BaseHTTPRequestHandler):
    def reply(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = parse_qs(url.query)
        who = ""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if (u, p) != (user, password):
                with open(log, "a") as f:
                    f.write("denied\n")
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED"}]},
                                  {"WWW-Authenticate": 'Basic realm="token"'})
            who = u
        access = []
        for scope in q.get("scope", []):
            parts = scope.split(":")
            if len(parts) >= 3 and who:
                access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                               "actions": parts[-1].split(",")})
        now = int(time.time())
        claims = {"iss": issuer, "sub": who, "aud": q.get("service", [service])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_b64]}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        token = signing_input + "." + b64url(sig)
        with open(log, "a") as f:
            f.write(("user" if who else "anonymous") + "\n")
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
PY
}

launch() {  # how each server is started: a command prefix
  local prefix=$1
  mkdir -p "$storage"
  [ -s "$work/token.key" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -keyout "$work/token.key" -out "$work/token.crt" -subj "/CN=berth-test-token" 2>/dev/null
  htpasswd -Bbn "$BASIC_USER" "$BASIC_PASSWORD" > "$work/htpasswd" 2>/dev/null
  write_token_server
  : > "$work/token-requests.log"

  local open_port basic_port token_port tokensrv_port
  open_port=$(free_port); basic_port=$(free_port); token_port=$(free_port); tokensrv_port=$(free_port)
  registry_config open "$open_port" ""
  registry_config basic "$basic_port" "auth:
  htpasswd: {realm: berth-test, path: $work/htpasswd}"
  registry_config token "$token_port" "auth:
  token:
    realm: http://127.0.0.1:$tokensrv_port/token
    service: $SERVICE
    issuer: $ISSUER
    rootcertbundle: $work/token.crt"

  for name in open basic token; do
    $prefix docker-registry serve "$work/$name.yml" > "$work/$name.log" 2>&1 < /dev/null &
    echo $! > "$work/$name.pid"
  done
  $prefix python3 "$work/token_server.py" "$tokensrv_port" "$work/token.key" "$work/token.crt" \
      "$ISSUER" "$SERVICE" "$TOKEN_USER" "$TOKEN_PASSWORD" "$work/token-requests.log" \
      > "$work/token_server.log" 2>&1 < /dev/null &
  echo $! > "$work/token_server.pid"

  wait_http "http://127.0.0.1:$open_port/v2/"
  wait_http "http://127.0.0.1:$basic_port/v2/"
  wait_http "http://127.0.0.1:$token_port/v2/"
  wait_http "http://127.0.0.1:$tokensrv_port/token"

  cat > "$work/registry.env" <<ENV
OPEN_REGISTRY=127.0.0.1:$open_port
BASIC_REGISTRY=127.0.0.1:$basic_port
BASIC_USER=$BASIC_USER
BASIC_PASSWORD=$BASIC_PASSWORD
TOKEN_REGISTRY=127.0.0.1:$token_port
TOKEN_SERVER=http://127.0.0.1:$tokensrv_port/token
TOKEN_USER=$TOKEN_USER
TOKEN_PASSWORD=$TOKEN_PASSWORD
TOKEN_REQUESTS_LOG=$work/token-requests.log
ENV
  cat "$work/registry.env"
}

start() {  # detached: the servers outlive this script until `stop`
  stop
  launch setsid
}

serve() {
  stop
  # Children are in this script's process group (a TERM to the group reaches
  # them all); --pdeathsig covers this script being killed outright.
  trap 'kill $(jobs -p) 2>/dev/null; wait; exit 0' TERM INT
  launch "setpriv --pdeathsig KILL"
  exec >>"$work/serve.log" 2>&1
  wait
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  serve) serve ;;
  *) usage ;;
esac
