#!/usr/bin/env bash
# journald logging: with JOURNAL_STREAM naming stderr, stackd's lines go to
# the journal natively with PRIORITY, SYSLOG_IDENTIFIER and STACKD_* fields
# (an interface line, reload errors with file and line); with a
# JOURNAL_STREAM that is not stderr, plain text. journal_fake.py stands in
# for journald, in a private mount namespace whose /run/systemd is a tmpfs
# (nothing of the host's journal is touched).
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v unshare >/dev/null || { log "unshare missing: skipped"; exit 0; }

setup_backend "$(backends | awk '{print $1}')"
cp "$WORK/stackd.toml" "$WORK/good.toml"
{ cat "$WORK/good.toml"; printf '\n[[route]]\nto = "10.300.0.0/16"\nvia = "%s"\n' "$PEER_ADDR"; } >"$WORK/bad.toml"
for mode in match mismatch; do
  cp "$WORK/good.toml" "$WORK/stackd.toml"
  extra=()
  [[ $mode == mismatch ]] && extra=(--mismatch)
  timeout 60 unshare -m --propagation private bash -c \
    'mount -t tmpfs tmpfs /run/systemd && exec python3 "$@"' _ "$here/journal_fake.py" \
    --stackd "$STACKD" --config "$WORK/stackd.toml" --bad-config "$WORK/bad.toml" --ns "$NS_SD" \
    --ifname "$SD_IF" --stderr "$WORK/stderr.$mode" "${extra[@]}" || fail "journal ($mode)"
done
log "journal: ok"
