#!/usr/bin/env bash
# Build a textops serving image with buildah from a base made here with debootstrap (no
# registry needed), start it, and check that it answers /readyz and /v1/predict.
#   deploy/check-image.sh MODEL_URI        (root; apt-get install buildah debootstrap)
set -euo pipefail
MODEL_URI=${1:?usage: deploy/check-image.sh MODEL_URI}
WORK=${WORK:-$(mktemp -d)}
PORT=${PORT:-18765}
B="buildah --storage-driver vfs"
# 1. a Debian base with Python in a venv, made here
if ! $B inspect localhost/textops-py:bookworm >/dev/null 2>&1; then
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm \
    "$WORK/rootfs" http://deb.debian.org/debian
  c=$($B from scratch); m=$($B mount "$c"); cp -a "$WORK/rootfs/." "$m/"; $B umount "$c"
  $B run --isolation chroot "$c" -- python3 -m venv /opt/venv
  $B copy "$c" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
  $B config --env PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin "$c"
  $B commit -q "$c" localhost/textops-py:bookworm
fi
# 2. the build context, built on that base (docker format keeps the HEALTHCHECK)
textops build image "$MODEL_URI" --output "$WORK/ctx"
cp /opt/wheels/torch-*.whl "$WORK/ctx/wheels/" 2>/dev/null || true   # a local torch wheel, if any
$B bud --isolation chroot --pull-never --network host --format docker \
  --build-arg BASE=localhost/textops-py:bookworm -t localhost/textops-model "$WORK/ctx"
# 3. run it and ask it
c=$($B from --pull-never localhost/textops-model)
$B run --isolation chroot --network host "$c" -- \
  textops serve /opt/textops/model --host 127.0.0.1 --port "$PORT" > "$WORK/serve.log" 2>&1 &
trap 'kill %1 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if curl -fsS -m 2 "http://127.0.0.1:$PORT/readyz"; then echo; break; fi; sleep 2
done
curl -fsS -m 10 -X POST "http://127.0.0.1:$PORT/v1/predict" -H 'content-type: application/json' \
  -d '{"texts": ["hello"]}'
echo
$B run --isolation chroot "$c" -- id
