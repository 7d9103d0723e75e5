# Real registries for tests and benchmarks, on 127.0.0.1 only: Debian's docker-registry (CNCF
# distribution) three times — plain HTTP; TLS with a CA made here plus htpasswd basic auth; and
# bearer-token auth against Tests/Fixtures/registry/token-server.py. Source this file, then
#   registries_start DIR   # writes DIR/ports.env: PLAIN, TLS, TOKEN, TOKEN_SERVER ports, CA path
#   registries_stop DIR
# Users: alice/alice-pass may push and pull, reader/reader-pass may pull; anonymous clients may
# pull public/* from the token registry and nothing from the TLS one.

registry_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# registry_serve DIR NAME PORT EXTRA_YAML: one docker-registry with its own storage and config.
registry_serve() {
  local dir=$1 name=$2 port=$3 extra=$4
  mkdir -p "$dir/$name/data"
  cat > "$dir/$name/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/$name/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: swbuild-test-secret
$extra
YAML
  # REGISTRY_* variables would override the file: run without them.
  env $(env | grep -o '^REGISTRY_[A-Z_]*' | sed 's/^/-u /') docker-registry serve "$dir/$name/config.yml" \
    > "$dir/$name/log" 2>&1 &
  echo $! > "$dir/$name/pid"
}

registry_wait() {
  local url=$1 i
  for i in $(seq 1 100); do
    curl -sk -o /dev/null "$url" && return 0
    sleep 0.05
  done
  echo "registry at $url did not start" >&2
  return 1
}

registries_start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local fixtures
  fixtures=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../Tests/Fixtures/registry" && pwd)
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=swbuild-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.pem -days 2 -subj /CN=swbuild-test-token 2>/dev/null
    htpasswd -Bbn -C 4 alice alice-pass > htpasswd 2>/dev/null
    htpasswd -Bbn -C 4 reader reader-pass >> htpasswd 2>/dev/null
    printf 'alice:alice-pass:rw\nreader:reader-pass:ro\n' > users
  )
  local plain tls token tokenserver
  plain=$(registry_free_port); tls=$(registry_free_port); token=$(registry_free_port); tokenserver=$(registry_free_port)
  registry_serve "$dir" plain "$plain" ""
  registry_serve "$dir" tls "$tls" "  tls:
    certificate: $dir/server.pem
    key: $dir/server.key
auth:
  htpasswd:
    realm: swbuild-test
    path: $dir/htpasswd"
  python3 "$fixtures/token-server.py" "$tokenserver" "$dir/token.key" "$dir/token.pem" "$dir/users" swbuild-test-issuer \
    "$dir/token-requests.log" > "$dir/token-server.log" 2>&1 &
  echo $! > "$dir/token-server.pid"
  registry_serve "$dir" token "$token" "auth:
  token:
    realm: http://127.0.0.1:$tokenserver/token
    service: swbuild-test
    issuer: swbuild-test-issuer
    rootcertbundle: $dir/token.pem"
  registry_wait "http://127.0.0.1:$plain/v2/" && registry_wait "https://127.0.0.1:$tls/v2/" \
    && registry_wait "http://127.0.0.1:$token/v2/" && registry_wait "http://127.0.0.1:$tokenserver/token" || return 1
  cat > "$dir/ports.env" <<ENV
PLAIN=127.0.0.1:$plain
TLS=127.0.0.1:$tls
TOKEN=127.0.0.1:$token
TOKEN_SERVER=127.0.0.1:$tokenserver
CA=$dir/ca.pem
ENV
}

registries_stop() {
  local dir=$1 file pids=()
  for file in "$dir"/*/pid "$dir"/token-server.pid; do
    [ -f "$file" ] && pids+=("$(cat "$file")")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null || true
}
