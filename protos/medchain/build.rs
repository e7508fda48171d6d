//! With the `messages` feature, compiles `medchain.proto` with `protox` (a
//! pure-Rust protobuf compiler; no system `protoc`) into prost messages.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "messages")]
    {
        let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
        let proto = root.join("medchain.proto");
        println!("cargo:rerun-if-changed={}", proto.display());
        let fds = protox::compile([&proto], [&root])?;
        prost_build::Config::new().compile_fds(fds)?;
    }
    Ok(())
}
