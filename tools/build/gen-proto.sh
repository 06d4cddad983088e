#!/usr/bin/env bash
# Generates the gRPC/protobuf TypeScript in libs/rpc/src/generated from proto/ with protoc and
# ts-proto. Offline: protoc comes from the system (Debian protobuf-compiler), ts-proto from npm.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/libs/rpc/src/generated}"
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
cd "$root/proto"
protoc \
  --plugin="protoc-gen-ts_proto=$root/node_modules/.bin/protoc-gen-ts_proto" \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,forceLong=bigint,esModuleInterop=true,env=node,useExactTypes=false,outputJsonMethods=false,outputPartialMethods=false \
  $(find . -name '*.proto' | sort)

# ts-proto copies every bytes field on decode (Buffer.from(reader.bytes())) and every message on
# encode (Buffer.from(encode().finish())). Record batches are the payload of our hottest calls,
# so both become zero-copy views over the same memory.
view='((u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength))'
find "$out" -name '*.ts' -print0 | xargs -0 sed -i \
  -e "s/Buffer\.from(reader\.bytes())/${view}(reader.bytes())/g" \
  -e "s/Buffer\.from(\([A-Za-z0-9_]*\)\.encode(value)\.finish())/${view}(\1.encode(value).finish())/g"
