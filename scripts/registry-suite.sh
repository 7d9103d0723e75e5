#!/usr/bin/env bash
# The registry suite: swbuild against real registries (Debian's docker-registry: plain HTTP, TLS
# with basic auth, bearer tokens from a test token server) and, for bad input, a registry that
# misbehaves on purpose. Results are checked independently with skopeo. Prints PASS/FAIL per
# case and "registry suite: N/M passed"; exits non-zero on any failure.
#   scripts/registry-suite.sh [--binary PATH] [--keep]
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
binary=$repo/.build/debug/swbuild-tui
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
source scripts/lib/registry.sh
work=$(mktemp -d /tmp/swbuild-registry-suite.XXXXXX)
cleanup() {
  [ -f "$work/hostile.pid" ] && kill "$(cat "$work/hostile.pid")" 2>/dev/null
  [ -f "$work/sshd/sshd.pid" ] && kill "$(cat "$work/sshd/sshd.pid")" 2>/dev/null
  registries_stop "$work/regs"
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
registries_start "$work/regs" || { echo "FAIL setup: registries did not start"; exit 1; }
source "$work/regs/ports.env"
printf '[registry."%s"]\n  ca = ["%s"]\n' "$TLS" "$CA" > "$work/registries.toml"
export SWBUILD_REGISTRY_CONFIG=$work/registries.toml
export DOCKER_CONFIG=$work/docker
unset SWBUILD_HOST SWBUILD_RESOLVE_TTL
passed=0; failed=0; current=""
B() { "$binary" "$@"; }
fresh() { export SWBUILD_ROOT=$work/root-$1; rm -rf "$SWBUILD_ROOT"; }
fail() { echo "FAIL $current: $*"; failed=$((failed + 1)); current=""; }
pass() { [ -n "$current" ] && { echo "PASS $current"; passed=$((passed + 1)); }; current=""; }
begin() { current=$1; }
# expect_fail NEEDLE CMD...: the command exits non-zero and its stderr names NEEDLE in one line.
expect_fail() {
  local needle=$1; shift
  local out
  if out=$("$@" 2>&1 >/dev/null); then fail "succeeded: $*"; return 1; fi
  if ! grep -q -- "$needle" <<<"$out"; then fail "'$*' said: $out (expected: $needle)"; return 1; fi
  if [ "$(grep -c . <<<"$out")" -gt 1 ]; then fail "'$*' printed more than one line: $out"; return 1; fi
  echo "  $(tail -1 <<<"$out")"
}
sk() { skopeo "$@" --tls-verify=false 2>&1; }

# A base image made from the host's busybox, put in the plain registry by skopeo.
fresh seed
B image busybox --name busybox:seed >/dev/null && B image save busybox:seed -o "$work/busybox.tar" || { echo "FAIL setup: no busybox image"; exit 1; }
skopeo copy -q --dest-tls-verify=false "oci-archive:$work/busybox.tar" "docker://$PLAIN/library/busybox:latest" || { echo "FAIL setup: skopeo copy"; exit 1; }
base_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$PLAIN/library/busybox:latest")

begin pull-plain-http
fresh pull
out=$(B image pull "$PLAIN/library/busybox") || fail "pull: $out"
[ -n "$current" ] && { grep -q "Digest: $base_digest" <<<"$out" || fail "digest: $out"; }
[ -n "$current" ] && { B image ls | grep -q "$PLAIN/library/busybox:latest *$base_digest" || fail "not in image ls"; }
pass

begin build-from-registry-and-push
fresh build
mkdir -p "$work/ctx"
printf 'FROM %s/library/busybox:latest\nRUN echo built > /built\nRUN cat /built\n' "$PLAIN" > "$work/ctx/Dockerfile"
out=$(B build --progress=plain -t "$PLAIN/team/app:1" --push "$work/ctx" 2>&1) || fail "build: $(tail -5 <<<"$out")"
if [ -n "$current" ]; then
  pushed=$(grep -o "pushing manifest for $PLAIN/team/app@sha256:[0-9a-f]*" <<<"$out" | grep -o 'sha256:.*')
  remote=$(skopeo inspect --tls-verify=false --format '{{.Digest}} {{len .Layers}}' "docker://$PLAIN/team/app:1")
  [ "$remote" = "$pushed 3" ] || fail "skopeo sees '$remote', swbuild pushed '$pushed'"
  grep -q "resolve $PLAIN/library/busybox:latest@$base_digest" <<<"$out" || fail "no resolve row"
  grep -q "POST /v2/team/app/blobs/uploads/?mount=" "$work/regs/plain/log" || fail "the base layer was not mounted across repositories"
  sk copy -q "docker://$PLAIN/team/app:1" "oci:$work/app-oci:1" >/dev/null || fail "skopeo cannot copy what was pushed"
fi
pass

begin chunked-upload
B image tag "$PLAIN/team/app:1" "$PLAIN/chunked/app:1"
rm -f "$SWBUILD_ROOT/registry/sources.json"
out=$(SWBUILD_UPLOAD_CHUNK=300000 B image push "$PLAIN/chunked/app:1" 2>&1) || fail "push: $out"
[ "$(grep -c 'PATCH /v2/chunked/app/blobs/uploads/' "$work/regs/plain/log")" -ge 4 ] || fail "no chunked PATCH uploads"
sk copy -q "docker://$PLAIN/chunked/app:1" "oci:$work/chunked-oci:1" >/dev/null || fail "skopeo cannot copy the chunked upload"
pass

begin cached-rebuild-makes-no-request
before=$(grep -c 'HTTP/1.1' "$work/regs/plain/log")
out=$(B build --progress=plain "$work/ctx" 2>&1) || fail "rebuild: $out"
after=$(grep -c 'HTTP/1.1' "$work/regs/plain/log")
[ -n "$current" ] && [ "$before" != "$after" ] && fail "$((after - before)) requests"
[ -n "$current" ] && { [ "$(grep -c CACHED <<<"$out")" = 2 ] || fail "not all steps cached"; }
pass

begin moved-tag-misses-with-reason
sk copy -q "docker://$PLAIN/team/app:1" "docker://$PLAIN/library/busybox:latest" >/dev/null
moved=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$PLAIN/library/busybox:latest")
out=$(SWBUILD_RESOLVE_TTL=0 B build --progress=rawjson "$work/ctx" 2>&1) || fail "build: $out"
[ -n "$current" ] && { grep -q "base image changed: $PLAIN/library/busybox:latest" "$SWBUILD_ROOT"/history/*.jsonl || fail "no reason recorded"; }
sk copy -q "oci-archive:$work/busybox.tar" "docker://$PLAIN/library/busybox:latest" >/dev/null
pass

begin basic-auth-over-tls
fresh basic
expect_fail "authentication required" B image pull "$TLS/team/busybox:1"
expect_fail "authentication failed" sh -c "echo wrong | '$binary' login $TLS -u alice --password-stdin"
echo alice-pass | B login "$TLS" -u alice --password-stdin >/dev/null || fail "login"
grep -q '"auth"' "$DOCKER_CONFIG/config.json" || fail "config.json has no auth"
B image tag "busybox:seed" "$TLS/team/busybox:1" 2>/dev/null || { B image busybox --name "$TLS/team/busybox:1" >/dev/null; }
out=$(B image push "$TLS/team/busybox:1") || fail "push: $out"
mkdir -p "$work/certs" && cp "$CA" "$work/certs/ca.crt"
skopeo inspect --creds alice:alice-pass --cert-dir "$work/certs" "docker://$TLS/team/busybox:1" >/dev/null || fail "skopeo cannot read it"
fresh basic2
B image pull "$TLS/team/busybox:1" >/dev/null || fail "pull with the login"
grep -rq "alice-pass" "$SWBUILD_ROOT" "$work/root-basic" && fail "the password reached the state root"
B logout "$TLS" | grep -q "Removing login credentials" || fail "logout"
grep -q "$TLS" "$DOCKER_CONFIG/config.json" && fail "logout left the entry"
pass

begin bearer-token-auth
fresh token
B image busybox --name "$TOKEN/public/busybox:1" >/dev/null
expect_fail "access denied" B image push "$TOKEN/public/busybox:1"
echo reader-pass | B login "$TOKEN" -u reader --password-stdin >/dev/null || fail "reader login"
expect_fail "access denied" B image push "$TOKEN/public/busybox:1"
echo alice-pass | B login "$TOKEN" -u alice --password-stdin >/dev/null || fail "alice login"
B image push "$TOKEN/public/busybox:1" >/dev/null || fail "push as alice"
B image tag "$TOKEN/public/busybox:1" "$TOKEN/private/busybox:1" && B image push "$TOKEN/private/busybox:1" >/dev/null || fail "private push"
grep -q "^POST password repository:public/busybox:pull,push" "$work/regs/token-requests.log" || fail "no OAuth password grant"
B logout "$TOKEN" >/dev/null
fresh token2
B image pull "$TOKEN/public/busybox:1" >/dev/null || fail "anonymous pull of public/"
grep -q "^GET repository:public/busybox:pull" "$work/regs/token-requests.log" || fail "no anonymous token GET"
expect_fail "access denied" B image pull "$TOKEN/private/busybox:1"
pass

begin credential-helper
fresh helper
mkdir -p "$work/bin"
cat > "$work/bin/docker-credential-suite" <<'HELPER'
#!/bin/sh
store=${SUITE_HELPER_STORE:?}
case $1 in
  get) read -r url; [ -f "$store" ] && grep -q "\"ServerURL\":\"$url\"" "$store" && { cat "$store"; exit 0; }
       echo "credentials not found in native keychain"; exit 1 ;;
  store) cat > "$store" ;;
  erase) rm -f "$store" ;;
esac
HELPER
chmod +x "$work/bin/docker-credential-suite"
export SUITE_HELPER_STORE=$work/helper-store
printf '{"credsStore":"suite"}\n' > "$DOCKER_CONFIG/config.json"
PATH=$work/bin:$PATH sh -c "echo alice-pass | '$binary' login $TOKEN -u alice --password-stdin" >/dev/null || fail "login through the helper"
grep -q alice-pass "$DOCKER_CONFIG/config.json" && fail "the password reached config.json"
grep -q alice-pass "$SUITE_HELPER_STORE" || fail "the helper did not store it"
PATH=$work/bin:$PATH B image pull "$TOKEN/private/busybox:1" >/dev/null || fail "pull with the helper's login"
printf '{}\n' > "$DOCKER_CONFIG/config.json"
pass

begin index-two-platforms
fresh index
python3 - "$work/busybox.tar" "$work/multi" <<'PY'
import hashlib, json, os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
tarfile.open(src).extractall(out)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + d, "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
idx = json.load(open(out + "/index.json"))
mdesc = idx["manifests"][0]
manifest = json.load(open(out + "/blobs/sha256/" + mdesc["digest"][7:]))
config = json.load(open(out + "/blobs/sha256/" + manifest["config"]["digest"][7:]))
entries = []
for arch in ["amd64", "arm64"]:
    config["architecture"] = arch
    c = put(json.dumps(config).encode()); c["mediaType"] = manifest["config"]["mediaType"]
    manifest["config"] = c
    m = put(json.dumps(manifest).encode()); m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    m["platform"] = {"os": "linux", "architecture": arch}
    entries.append(m)
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
json.dump({"schemaVersion": 2, "manifests": [dict(put(json.dumps(index).encode()), mediaType=index["mediaType"],
           annotations={"org.opencontainers.image.ref.name": "multi"})]}, open(out + "/index.json", "w"))
PY
sk copy -q --all "oci:$work/multi:multi" "docker://$PLAIN/multi:1" >/dev/null || fail "skopeo copy --all"
for arch in amd64 arm64; do
  want=$(skopeo inspect --tls-verify=false --override-arch $arch --format '{{.Architecture}}' "docker://$PLAIN/multi:1")
  fresh "index-$arch"
  B image pull --platform "linux/$arch" "$PLAIN/multi:1" >/dev/null || fail "pull linux/$arch"
  [ "$want" = "$arch" ] || fail "skopeo sees $want for $arch"
  B image save --platform "linux/$arch" "$PLAIN/multi:1" -o "$work/multi-$arch.tar" 2>/dev/null
  got=$(skopeo inspect --config "oci-archive:$work/multi-$arch.tar" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["architecture"])')
  [ "$got" = "$arch" ] || fail "pulled $got for linux/$arch"
done
expect_fail "it has: linux/amd64, linux/arm64" B image pull --platform linux/s390x "$PLAIN/multi:1"
pass

begin registry-cache-fresh-root
fresh cache1
printf 'FROM %s/library/busybox:latest\nRUN echo one > /one\nRUN echo two > /two\nCOPY Dockerfile /df\n' "$PLAIN" > "$work/ctx/Dockerfile"
B build --progress=plain --cache-to "type=registry,ref=$PLAIN/cache:app,mode=max" --cache-to "type=local,dest=$work/localcache" "$work/ctx" >/dev/null 2>&1 || fail "cache export"
sk inspect --raw "docker://$PLAIN/cache:app" | grep -q 'application/vnd.swbuild.cache.v1' || fail "no cache artifact in the registry"
fresh cache2
out=$(B build --progress=plain --cache-from "type=registry,ref=$PLAIN/cache:app" "$work/ctx" 2>&1) || fail "build from cache: $out"
[ -n "$current" ] && { [ "$(grep -c CACHED <<<"$out")" = 3 ] || fail "not every step hit: $(grep -E '^#[0-9]+ (\[|CACHED)' <<<"$out")"; }
fresh cache3
out=$(B build --progress=plain --cache-from "type=local,src=$work/localcache" "$work/ctx" 2>&1) || fail "build from local cache: $out"
[ -n "$current" ] && { [ "$(grep -c CACHED <<<"$out")" = 3 ] || fail "local cache: not every step hit"; }
pass

begin missing-repository-tag-and-down-registry
fresh missing
expect_fail "$PLAIN/library/busybox:nosuchtag: 404 Not Found: MANIFEST_UNKNOWN" B image pull "$PLAIN/library/busybox:nosuchtag"
expect_fail "$PLAIN/nosuchrepo:latest: 404 Not Found" B image pull "$PLAIN/nosuchrepo"
down=$(registry_free_port)
expect_fail "cannot reach 127.0.0.1:$down" B image pull "127.0.0.1:$down/library/busybox"
printf 'FROM 127.0.0.1:%s/library/busybox\nRUN true\n' "$down" > "$work/ctx/Dockerfile"
expect_fail "cannot reach 127.0.0.1:$down" B build --progress=quiet "$work/ctx"
expect_fail "invalid reference" B image pull "Bad/Name"
[ -z "$(B image ls | tail -n +2)" ] || fail "a failed pull named an image"
pass

# Bad input from a registry that misbehaves on purpose.
hostile=$(registry_free_port)
mkdir -p "$work/layout" && tar -xf "$work/busybox.tar" -C "$work/layout"
python3 Tests/Fixtures/registry/hostile-registry.py "$hostile" "$work/layout" "$work/redirects.log" > "$work/hostile.log" 2>&1 &
echo $! > "$work/hostile.pid"
registry_wait "http://127.0.0.1:$hostile/v2/"
H=127.0.0.1:$hostile

begin bad-registry-answers
fresh hostile
expect_fail "does not match\|hash to" B image pull "$H/mismatch/x"
expect_fail "download failed after 4 tries" B image pull "$H/truncated/x"
expect_fail "unsupported manifest media type application/vnd.example.unknown+json" B image pull "$H/unknowntype/x"
expect_fail "impossible size" B image pull "$H/huge/x"
expect_fail "3000 layers" B image pull "$H/manylayers/x"
expect_fail "not valid JSON" B image pull "$H/broken/x"
[ -z "$(B image ls | tail -n +2)" ] || fail "a failed pull named an image"
blobs=$(ls "$SWBUILD_ROOT/content/blobs" 2>/dev/null | wc -l)
layer_digest=$(python3 -c "import json,sys; i=json.load(open('$work/layout/index.json')); m=json.load(open('$work/layout/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['layers'][0]['digest'][7:])")
[ -e "$SWBUILD_ROOT/content/blobs/$layer_digest" ] && fail "an unverified layer entered the store"
ls "$SWBUILD_ROOT/content/tmp" 2>/dev/null | grep -q . && fail "partial downloads were left behind"
out=$(B image pull "$H/flaky/x") || fail "the flaky registry (503 once, a dropped download once) was not retried: $out"
pass

begin credentials-stay-with-their-registry
fresh redirect
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$H" "$(printf 'alice:alice-pass' | base64)" > "$DOCKER_CONFIG/config.json"
out=$(B image pull "$H/redirect/x" 2>&1) || fail "pull through a redirect: $out"
grep -q "authorization=absent" "$work/redirects.log" 2>/dev/null || fail "the redirect target was not asked, or got the login: $(cat "$work/redirects.log" 2>/dev/null)"
grep -q "authorization=present" "$work/redirects.log" 2>/dev/null && fail "the login followed a redirect to another origin"
printf '{}\n' > "$DOCKER_CONFIG/config.json"
pass

begin remote-build-pushes-from-the-remote
# A build over ssh (a private sshd on 127.0.0.1, the remote a state root of its own) pulls its
# base and pushes its result from the remote; the client never holds the image.
fresh remote-client
port=$(bash scripts/local-sshd.sh "$work/sshd" | tail -1)
printf 'FROM %s/library/busybox:latest\nRUN echo built over ssh > /remote\n' "$PLAIN" > "$work/ctx/Dockerfile"
out=$(PATH="$work/sshd/bin:$PATH" SWBUILD_SSH_SHARE=0 \
      SWBUILD_REMOTE_COMMAND="SWBUILD_ROOT=$work/root-remote-side SWBUILD_REGISTRY_CONFIG=$SWBUILD_REGISTRY_CONFIG DOCKER_CONFIG=$DOCKER_CONFIG $binary" \
      B -H "ssh://root@127.0.0.1:$port" build --progress=plain -t "$PLAIN/team/remote:1" --push "$work/ctx" 2>&1) \
  || fail "remote build: $(tail -5 <<<"$out")"
[ -n "$current" ] && { grep -q "pushing manifest for $PLAIN/team/remote@sha256:" <<<"$out" || fail "no push row: $(tail -5 <<<"$out")"; }
[ -n "$current" ] && { sk inspect "docker://$PLAIN/team/remote:1" >/dev/null || fail "nothing in the registry"; }
[ -n "$current" ] && { [ -z "$(B image ls | tail -n +2)" ] || fail "the image landed on the client"; }
pass

echo "registry suite: $passed/$((passed + failed)) passed"
[ "$failed" = 0 ]
