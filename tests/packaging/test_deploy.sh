#!/usr/bin/env bash
# deploy/ files that no cluster or init system here can run (ctest
# "deploy_files", label unit): the Kubernetes manifest parses, its
# DaemonSet runs stackd on the host network with the unit's capabilities
# (and drops the rest), mounts the ConfigMap where its command reads the
# config, and that ConfigMap's stackd.toml passes `stackd --check-config`.
# Usage: test_deploy.sh SOURCE_DIR STACKD_BINARY
set -euo pipefail
src=$1
stackd=$2
work=$(mktemp -d /tmp/stackd-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT

unit_caps=$(sed -n 's/^AmbientCapabilities=//p' "$src/deploy/systemd/stackd.service")
python3 - "$src/deploy/kubernetes/stackd-daemonset.yaml" "$unit_caps" "$work/stackd.toml" <<'PY'
import sys, yaml
path, unit_caps, out = sys.argv[1], sys.argv[2].split(), sys.argv[3]
docs = {d["kind"]: d for d in yaml.safe_load_all(open(path)) if d}
for k in ("Namespace", "ConfigMap", "DaemonSet"):
    assert k in docs, f"no {k}"
ds = docs["DaemonSet"]
spec = ds["spec"]["template"]["spec"]
assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(), "selector does not match the pod labels"
assert spec.get("hostNetwork") is True, "hostNetwork"
(c,) = spec["containers"]
sc = c["securityContext"]
assert not sc.get("privileged", False), "privileged"
assert sc["capabilities"]["drop"] == ["ALL"], "drop ALL"
add = set(sc["capabilities"]["add"])
want = {x.removeprefix("CAP_") for x in unit_caps}
assert want <= add, f"DaemonSet caps {add} lack the unit's {want}"
assert add - want <= {"IPC_LOCK"}, f"extra caps {add - want}"
cfg = c["command"][c["command"].index("--config") + 1]
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
vols = {v["name"]: v for v in spec["volumes"]}
name = next(n for n, v in vols.items() if "configMap" in v)
assert cfg.startswith(mounts[name] + "/"), f"{cfg} is not under the ConfigMap mount {mounts[name]}"
assert vols[name]["configMap"]["name"] == docs["ConfigMap"]["metadata"]["name"]
key = cfg.rsplit("/", 1)[1]
open(out, "w").write(docs["ConfigMap"]["data"][key])
print(f"manifest: DaemonSet caps {sorted(add)}, config {cfg} from ConfigMap {vols[name]['configMap']['name']}")
PY
"$stackd" --check-config --config "$work/stackd.toml" | grep -qx "config OK" || {
  "$stackd" --check-config --config "$work/stackd.toml"; echo "FAIL: the ConfigMap's stackd.toml"; exit 1; }
echo "ConfigMap stackd.toml: config OK"
echo "ok"
