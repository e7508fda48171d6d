//! Compiles the vendored Fabric protos and `medchain.proto` with `protox`
//! (a pure-Rust protobuf compiler), so no system `protoc` is needed, then
//! generates prost messages and tonic stubs from the descriptor set.

use std::path::PathBuf;

/// The Fabric proto files we compile, relative to `fabric/`; their imports
/// are pulled in automatically.
const FABRIC_PROTOS: &[&str] = &[
    "common/common.proto",
    "common/ledger.proto",
    "msp/identities.proto",
    "peer/proposal.proto",
    "peer/proposal_response.proto",
    "peer/chaincode.proto",
    "peer/chaincode_event.proto",
    "peer/chaincode_shim.proto",
    "peer/transaction.proto",
    "gateway/gateway.proto",
    "ledger/queryresult/kv_query_result.proto",
    "ledger/rwset/rwset.proto",
    "ledger/rwset/kvrwset/kv_rwset.proto",
    "orderer/ab.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let fabric = root.join("fabric");
    let mut files: Vec<PathBuf> = FABRIC_PROTOS.iter().map(|f| fabric.join(f)).collect();
    files.push(root.join("medchain.proto"));
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    let fds = protox::compile(&files, [&fabric, &root])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // The `protos.Chaincode` service has an rpc named `Connect`, which would
        // clash with the generated `connect` constructor; clients are built
        // with `new(channel)` instead.
        .build_transport(false)
        .include_file("generated.rs")
        .compile_fds(fds)?;
    Ok(())
}
