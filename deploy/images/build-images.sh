#!/usr/bin/env bash
# Builds the four gpufleet images offline with Jib (Maven profile `images`) on a base image made here from Debian
# packages, saves each as an OCI archive, and starts each under podman to check that it reports ready.
#
#   deploy/images/build-images.sh [--base IMAGE] [--out DIR] [--no-check]
#
#   --base IMAGE  the base Jib builds on: tar:///path/image.tar, docker://name:tag (from podman's store) or a
#                 registry image. Default: a Debian bookworm root file system with openjdk-17-jre-headless, made
#                 with debootstrap from the apt mirror this machine uses (once; kept as DIR/base-jre17.tar).
#   --out DIR     where the archives go (default target/images)
#   --no-check    build and save only
#
# Needs: podman and runc (Debian packages), debootstrap for the default base, python3, a JDK 17. The check runs the
# containers as the Helm chart does: read-only root file system, a writable /tmp, the chart's users (185; the agent
# 10001), against the embedded Kafka and PostgreSQL of local-stack on this machine's loopback.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
modules=(model-registry scheduler-service gateway worker-agent)
out="$root/target/images"
base=""
check=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    --out) out=$(readlink -f "$2"); shift 2 ;;
    --no-check) check=no; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
podman_run=(podman --runtime runc)
# the project's version: the first <version> of the root pom (its own; the parent has none)
version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -1)

if [ -z "$base" ]; then
  if [ ! -s "$out/base-jre17.tar" ]; then
    mirror=$(apt-cache policy | sed -n 's/^ *[0-9]\+ \(http[^ ]*\) bookworm\/main.*/\1/p' | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "Making the base image: Debian bookworm + openjdk-17-jre-headless from $mirror ..."
    rm -rf "$out/base-rootfs"
    debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$out/base-rootfs" "$mirror" \
      > "$out/debootstrap.log" 2>&1 || { tail -20 "$out/debootstrap.log" >&2; exit 1; }
    tar -C "$out/base-rootfs" -c . | podman import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - localhost/gpufleet/base-jre:17
    podman save -q -o "$out/base-jre17.tar.partial" localhost/gpufleet/base-jre:17
    mv "$out/base-jre17.tar.partial" "$out/base-jre17.tar"
    rm -rf "$out/base-rootfs"
  fi
  base="tar://$out/base-jre17.tar"
fi

echo "Building ${modules[*]} with Jib on $base ..."
(cd "$root" && ./mvnw -B -ntp -o -q -Pimages -pl "$(IFS=,; echo "${modules[*]}"),local-stack" -am package \
  -DskipTests -Dimages.base="$base")
for m in "${modules[@]}"; do
  podman save -q --format oci-archive -o "$out/$m-$version.oci.tar" "localhost/gpufleet/$m:$version"
  echo "  $out/$m-$version.oci.tar ($(du -h "$out/$m-$version.oci.tar" | cut -f1))"
done
[ "$check" = yes ] || exit 0

# --- the check: each image starts and reports ready ---
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
containers=()
cleanup() {
  for c in "${containers[@]}"; do "${podman_run[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_for_line() { # file text seconds
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "no '$2' within $3 s:" >&2; tail -20 "$1" >&2; return 1; }
    sleep 1
  done
}
classpath="$(ls "$root"/local-stack/target/local-stack-*.jar | head -1):$root/local-stack/target/lib/*"
kafka_port=$(free_port); controller_port=$(free_port); pg_port=$(free_port)
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
db_password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
java -Xmx512m -cp "$classpath" dev.gpufleet.localstack.launcher.KafkaMain "$work/kafka" "$kafka_port" \
  "$controller_port" > "$work/kafka.log" 2>&1 &
pids+=($!)
GPUFLEET_DB_PASSWORD=$db_password java -cp "$classpath" dev.gpufleet.localstack.launcher.PostgresMain \
  "$work/postgres" "$pg_port" gpufleet gpufleet > "$work/postgres.log" 2>&1 &
pids+=($!)
wait_for_line "$work/kafka.log" "kafka ready" 120
wait_for_line "$work/postgres.log" "postgres ready" 120

failed=0
for m in "${modules[@]}"; do
  port=$(free_port)
  env=(-e "QUARKUS_HTTP_PORT=$port" -e "GPUFLEET_CLUSTER_TOKEN=$token"
       -e "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$kafka_port")
  case "$m" in
    worker-agent)
      env+=(-e GPUFLEET_WORKER_DATA_DIR=/tmp/worker -e GPUFLEET_WORKER_NAME=image-check
            -e GPUFLEET_WORKER_ADDRESS=127.0.0.1) ;;
    *)
      env+=(-e "QUARKUS_DATASOURCE_JDBC_URL=jdbc:postgresql://127.0.0.1:$pg_port/gpufleet"
            -e "QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://127.0.0.1:$pg_port/gpufleet"
            -e QUARKUS_DATASOURCE_USERNAME=gpufleet -e "QUARKUS_DATASOURCE_PASSWORD=$db_password"
            -e GPUFLEET_GATEWAY_DATA_DIR=/tmp/gateway) ;;
  esac
  name="gpufleet-image-check-$m-$$"
  containers+=("$name")
  started=$SECONDS
  "${podman_run[@]}" run -d --name "$name" --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --network host \
    --read-only --tmpfs /tmp:rw,size=256m "${env[@]}" "localhost/gpufleet/$m:$version" > /dev/null
  status=""
  deadline=$((SECONDS + 180))
  while [ $SECONDS -lt $deadline ]; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/q/health/ready" || true)
    [ "$status" = 200 ] && break
    [ "$("${podman_run[@]}" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || break
    sleep 1
  done
  user=$("${podman_run[@]}" inspect -f '{{.Config.User}}' "$name")
  if [ "$status" = 200 ]; then
    echo "  $m: ready after $((SECONDS - started)) s (user $user, read-only root, port $port)"
  else
    echo "  $m: NOT ready (last /q/health/ready status '$status'); its log:" >&2
    "${podman_run[@]}" logs "$name" 2>&1 | tail -40 >&2
    failed=1
  fi
  "${podman_run[@]}" rm -f "$name" > /dev/null
done
exit $failed
