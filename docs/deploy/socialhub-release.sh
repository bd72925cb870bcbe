#!/usr/bin/env bash
# One release: a new checkout next to the running one, migrated and built once, then the
# web processes switched over. Run on the machine that holds /opt/socialhub (copy the built
# release to the other web machines, or run this there without the migrate step).
#   socialhub-release.sh v1.4.0
set -euo pipefail
TAG="$1"
BASE=/opt/socialhub
NEW="$BASE/releases/$TAG"
set -a; source /etc/socialhub/socialhub.env; set +a

git clone --depth 1 --branch "$TAG" https://example.org/socialhub.git "$NEW"
cd "$NEW"
scripts/bootstrap.sh            # .venv and bun for this release
.venv/bin/socialhub migrate     # once per release
.venv/bin/socialhub build       # once per release, for SOCIALHUB_PUBLIC_URL
ln -sfn "$NEW" "$BASE/current"
# One at a time, so the proxy always has a web process to send people to.
for unit in $(systemctl list-units --plain --no-legend 'socialhub-web@*' | awk '{print $1}'); do
  systemctl restart "$unit"
  sleep 5
done
systemctl restart 'socialhub-worker@*' socialhub-scheduler
