//! The provider binary: Terraform starts it, it serves tfplugin6 until told to stop.

use std::process::ExitCode;

use terraform_provider_mongodbatlas::provider::AtlasProvider;
use terraform_provider_mongodbatlas::tfplugin::{self, server::ProviderService, ServeConfig};

fn main() -> ExitCode {
    // Asked by a person or a packaging script; Terraform starts the plugin without arguments.
    if std::env::args()
        .skip(1)
        .any(|arg| arg == "--version" || arg == "-version")
    {
        println!(
            "terraform-provider-mongodbatlas {}",
            terraform_provider_mongodbatlas::provider::VERSION
        );
        return ExitCode::SUCCESS;
    }
    let debug = std::env::args().skip(1).any(|arg| arg == "--debug" || arg == "-debug");
    if !debug {
        if let Err(message) = tfplugin::check_magic_cookie() {
            eprintln!("{message}");
            return ExitCode::from(1);
        }
    }
    terraform_provider_mongodbatlas::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("terraform-provider-mongodbatlas: could not start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let config = ServeConfig {
        provider_address: "registry.terraform.io/mongodb/mongodbatlas".to_string(),
        debug,
    };
    let result = runtime.block_on(tfplugin::serve(ProviderService::new(AtlasProvider::new()), config));
    // Do not wait for idle connection tasks: Terraform expects a prompt exit after Shutdown.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = format!("terraform-provider-mongodbatlas: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}
