//! Compiles the vendored Fabric protos with `protox` (a pure-Rust protobuf
//! compiler), so no system `protoc` is needed, then generates prost
//! messages and — with the `client` / `server` features — tonic stubs.

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
    "peer/events.proto",
    "gateway/gateway.proto",
    "ledger/queryresult/kv_query_result.proto",
    "ledger/rwset/rwset.proto",
    "ledger/rwset/kvrwset/kv_rwset.proto",
    "orderer/ab.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let fabric = root.join("fabric");
    let files: Vec<PathBuf> = FABRIC_PROTOS.iter().map(|f| fabric.join(f)).collect();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    let client = std::env::var_os("CARGO_FEATURE_CLIENT").is_some();
    let server = std::env::var_os("CARGO_FEATURE_SERVER").is_some();

    let fds = protox::compile(&files, [&fabric])?;
    tonic_prost_build::configure()
        .build_server(server)
        .build_client(client)
        // The `protos.Chaincode` service has an rpc named `Connect`, which would
        // clash with the generated `connect` constructor; clients are built
        // with `new(channel)` instead.
        .build_transport(false)
        .include_file("generated.rs")
        .compile_fds(fds)?;
    Ok(())
}
