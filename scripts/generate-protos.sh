#!/usr/bin/env bash
# Regenerates Sources/BuildCore/Engines/BuildKitStatus.pb.swift from proto/buildkit_status.proto.
# Run by hand after changing the .proto, then commit the result; builds and CI never run protoc.
# Needs protoc (Debian's protobuf-compiler) and protoc-gen-swift (swift-protobuf's plugin, the
# version Package.swift names): PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}
[ -x "$plugin" ] || { echo "protoc-gen-swift not found: set PROTOC_GEN_SWIFT" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_out="$out" -I proto proto/buildkit_status.proto
mv "$out/buildkit_status.pb.swift" Sources/BuildCore/Engines/BuildKitStatus.pb.swift
echo Sources/BuildCore/Engines/BuildKitStatus.pb.swift
