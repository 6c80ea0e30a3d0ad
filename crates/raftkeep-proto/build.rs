//! Compiles `proto/raftkeep/*.proto` with the vendored protoc (no system protoc needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let protos = [
        root.join("raftkeep/raft.proto"),
        root.join("raftkeep/cluster.proto"),
    ];
    for proto in &protos {
        println!("cargo::rerun-if-changed={}", proto.display());
    }
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure().compile_with_config(config, &protos, &[root])?;
    Ok(())
}
