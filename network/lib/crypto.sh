# shellcheck shell=bash
# Crypto material: cryptogen for the Fabric orgs, openssl for the TLS pair
# between the peers and the chaincode server.

generate_crypto() {
  rm -rf "$CRYPTO_DIR"
  "$FABRIC_BIN/cryptogen" generate --config "$NETWORK_DIR/crypto-config.yaml" --output "$CRYPTO_DIR" >>"$LOG_DIR/setup.log" 2>&1 || {
    echo "cryptogen failed; see $LOG_DIR/setup.log." >&2
    return 1
  }
  generate_chaincode_tls
}

# A dedicated CA signs the chaincode server's certificate (SANs 127.0.0.1,
# localhost) and one client certificate the peers present to it when mutual
# TLS is on. Keeping it apart from the org CAs means the chaincode server
# trusts no identity other than the peers' chaincode client. Keys are PKCS#8 PEM.
generate_chaincode_tls() {
  local dir=$CHAINCODE_TLS_DIR
  mkdir -p "$dir"
  (
    umask 077
    cd "$dir"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=medchain/CN=medchain chaincode TLS CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
    issue_chaincode_cert server "/O=medchain/CN=chaincode.medchain.local" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:chaincode.medchain.local"$'\n'"extendedKeyUsage=serverAuth"
    issue_chaincode_cert client "/O=medchain/CN=peer chaincode client" "extendedKeyUsage=clientAuth"
    rm -f ca.key ca.srl ./*.csr ./*.ext
    chmod 0644 ca.crt server.crt client.crt
  ) >>"$LOG_DIR/setup.log" 2>&1 || {
    echo "openssl failed to create the chaincode TLS certificates; see $LOG_DIR/setup.log." >&2
    return 1
  }
}

# issue_chaincode_cert NAME SUBJECT EXTENSIONS (run inside the chaincode TLS dir)
issue_chaincode_cert() {
  local name=$1 subject=$2 extensions=$3
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" "$extensions" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
    -extfile "$name.ext" -out "$name.crt"
}
