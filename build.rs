//! Compiles the protocol definitions in `proto/` into Rust with protox and
//! tonic-prost-build, so building never needs `protoc` on the machine.
//!
//! Generated code lands in `OUT_DIR` and is included by `src/tfplugin/mod.rs`.
//! Servers are generated for the provider; clients too, because the
//! in-process transport tests talk to the server over a real socket.

use std::error::Error;

const PROTOS: &[&str] = &[
    "proto/tfplugin6.proto",
    "proto/grpc_controller.proto",
    "proto/grpc_stdio.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    // protox bundles the google/protobuf well-known types, so only our own
    // directory is on the include path.
    let file_descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // Every RPC we do not implement answers `Unimplemented`, which is
        // what Terraform expects for capabilities we never advertise.
        .generate_default_stubs(true)
        .compile_fds(file_descriptors)?;
    Ok(())
}
