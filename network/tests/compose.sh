#!/usr/bin/env bash
# Checks docker-compose.yaml without a Docker engine: with `docker compose
# config` when the Compose plugin is installed, and always with a structural
# check (YAML parses; the services, images, ports and paths agree with the
# native network's configuration in network/lib/config.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

export MEDCHAIN_NETWORK_DIR=/srv/medchain/network MEDCHAIN_CHAINCODE_ID=medchain_1.0:0000 MEDCHAIN_COUCHDB_PASSWORD=x
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yaml config --quiet
  docker compose -f docker-compose.yaml --profile couchdb config --quiet
  echo "docker compose config: ok"
fi

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
  echo "compose.sh: python3 with PyYAML is needed to check docker-compose.yaml (Debian: apt-get install python3-yaml)" >&2
  exit 1
fi
python3 - <<'PY'
import re, sys, yaml

with open("docker-compose.yaml") as f:
    compose = yaml.safe_load(f)
services = compose["services"]
expected = {"orderer.example.com", "peer0.org1.example.com", "peer0.org2.example.com", "ca.org1.example.com", "ca.org2.example.com", "chaincode", "couchdb.org1", "couchdb.org2", "ipfs.org1", "ipfs.org2"}
problems = []
if set(services) != expected:
    problems.append(f"services are {sorted(services)}, expected {sorted(expected)}")

config = open("network/lib/config.sh").read()
def offset(name):
    return int(re.search(rf"{name}=\$\(\(base \+ (\d+)\)\)", config).group(1))
base = 7050
ports = {
    "orderer": base + offset("ORDERER_PORT"),
    "org1": base + offset("ORG1_PEER_PORT"),
    "org2": base + offset("ORG2_PEER_PORT"),
    "chaincode": base + offset("CHAINCODE_SERVER_PORT"),
    "ca.org1": base + offset("ORG1_CA_PORT"),
    "ca.org1 operations": base + offset("ORG1_CA_OPERATIONS_PORT"),
    "ca.org2": base + offset("ORG2_CA_PORT"),
    "ca.org2 operations": base + offset("ORG2_CA_OPERATIONS_PORT"),
}
def env(service):
    e = dict(services[service].get("environment", {}))
    return {k: str(v) for k, v in e.items() if k != "<<"}
if env("orderer.example.com").get("ORDERER_GENERAL_LISTENPORT") != str(ports["orderer"]):
    problems.append("the orderer's port differs from network/lib/config.sh")
for org in ("org1", "org2"):
    e = env(f"peer0.{org}.example.com")
    if e.get("CORE_PEER_ADDRESS") != f"127.0.0.1:{ports[org]}":
        problems.append(f"peer0.{org}'s address differs from network/lib/config.sh")
    if not services[f"peer0.{org}.example.com"]["image"].endswith(":3.1.5"):
        problems.append(f"peer0.{org} is not Fabric 3.1.5")
if env("chaincode").get("CHAINCODE_SERVER_ADDRESS") != f"127.0.0.1:{ports['chaincode']}":
    problems.append("the chaincode address differs from network/lib/config.sh")
# The CAs: the pinned Fabric CA release, the native port and operations port,
# TLS on, the home network/up.sh initialized (network/lib/ca.sh, fabric-ca.sh).
ca_version = re.search(r"^FABRIC_CA_VERSION=(\S+)$", open("network/lib/fabric-ca.sh").read(), re.M).group(1)
ca_lib = open("network/lib/ca.sh").read()
for org in ("org1", "org2"):
    service = services.get(f"ca.{org}.example.com")
    if service is None:
        continue
    args = str(service.get("command", "")).split()
    def arg(flag):
        return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None
    if service["image"] != f"hyperledger/fabric-ca:{ca_version}":
        problems.append(f"ca.{org} is not Fabric CA {ca_version} (network/lib/fabric-ca.sh)")
    if args[:2] != ["fabric-ca-server", "start"] or "--tls.enabled" not in args or arg("--address") != "127.0.0.1":
        problems.append(f"ca.{org} does not run fabric-ca-server start with TLS on 127.0.0.1")
    if arg("--port") != str(ports[f"ca.{org}"]):
        problems.append(f"ca.{org}'s port differs from network/lib/config.sh")
    if arg("--operations.listenaddress") != f"127.0.0.1:{ports[f'ca.{org} operations']}":
        problems.append(f"ca.{org}'s operations address differs from network/lib/config.sh")
    if arg("--ca.name") != f"ca-{org}":
        problems.append(f"ca.{org}'s CA name differs from network/lib/ca.sh (ca-<org>)")
    if env(f"ca.{org}.example.com").get("FABRIC_CA_SERVER_HOME") != f"${{MEDCHAIN_NETWORK_DIR}}/ca/{org}/server":
        problems.append(f"ca.{org}'s home is not <work>/ca/{org}/server (network/lib/ca.sh)")
for flag in ("--address 127.0.0.1", "--tls.enabled", "--ca.name", "--operations.listenaddress", "--csr.hosts 127.0.0.1,localhost"):
    if flag not in ca_lib:
        problems.append(f"{flag} is set in docker-compose.yaml but not in network/lib/ca.sh")
# The IPFS nodes: the pinned Kubo release (network/lib/kubo.sh), a private
# network forced, org1's repository the one network/up.sh makes
# (network/lib/ipfs.sh), each peered with the other's swarm port.
kubo_version = re.search(r"^KUBO_VERSION=(\S+)$", open("network/lib/kubo.sh").read(), re.M).group(1)
ipfs_lib = open("network/lib/ipfs.sh").read()
swarm = {"ipfs.org1": base + offset("IPFS_SWARM_PORT"), "ipfs.org2": 7069}
for name, other, repo in (("ipfs.org1", "ipfs.org2", "ipfs"), ("ipfs.org2", "ipfs.org1", "ipfs-org2")):
    service = services.get(name)
    if service is None:
        continue
    e = env(name)
    if service["image"] != f"ipfs/kubo:v{kubo_version}":
        problems.append(f"{name} is not Kubo {kubo_version} (network/lib/kubo.sh)")
    if e.get("LIBP2P_FORCE_PNET") != "1":
        problems.append(f"{name} does not force a private network (LIBP2P_FORCE_PNET=1)")
    if e.get("IPFS_PATH") != f"${{MEDCHAIN_NETWORK_DIR}}/{repo}":
        problems.append(f"{name}'s repository is not <work>/{repo}")
    if e.get("MEDCHAIN_IPFS_PEER_ADDR") != f"/ip4/127.0.0.1/tcp/{swarm[other]}":
        problems.append(f"{name} is not peered with {other}'s swarm port {swarm[other]}")
if 'IPFS_REPO="$WORK/ipfs"' not in ipfs_lib:
    problems.append("network/lib/ipfs.sh no longer keeps org1's repository in <work>/ipfs")
if services["chaincode"]["build"]["dockerfile"] != "chaincode/Dockerfile":
    problems.append("the chaincode is not built from chaincode/Dockerfile")
nodes = open("network/lib/nodes.sh").read()
for key in ("CORE_PEER_GATEWAY_ENABLED", "CORE_PEER_TLS_ENABLED", "CORE_CHAINCODE_EXTERNALBUILDERS", "ORDERER_GENERAL_BOOTSTRAPMETHOD"):
    if key not in nodes:
        problems.append(f"{key} is set in docker-compose.yaml but not in network/lib/nodes.sh")
if problems:
    print("docker-compose.yaml: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"docker-compose.yaml: {len(services)} services, consistent with the native network")
PY
