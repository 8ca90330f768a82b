//! Terraform's wire: the tfplugin6 protocol (6.8) and the go-plugin contract around it.
//!
//! `proto` holds the code generated from `proto/*.proto` by `build.rs`. Its types stay inside
//! this module: `server` (the tonic `Provider` implementation), `convert` (proto ↔ framework
//! types) and the serving modules are the only consumers. It is `pub` but hidden only so the
//! in-process transport tests in `tests/it` can build a gRPC client.
//!
//! How Terraform starts and talks to the process is split by what each part does: `serve`
//! (listener, TLS accept loop, signals, shutdown), `handshake` (magic cookie, protocol version,
//! the one stdout line, debug reattach), `goplugin` (go-plugin's health, controller and stdio
//! services) and `tls` (go-plugin's pinned mutual TLS).

pub mod server;

mod convert;
mod goplugin;
mod handshake;
mod serve;
mod tls;

pub use handshake::{
    check_magic_cookie, handshake_line, reattach_instructions, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE,
    NOT_A_PLUGIN_MESSAGE,
};
#[cfg(unix)]
pub use serve::SocketFile;
pub use serve::{serve, serve_on, OnShutdown, PluginListener, ServeConfig, ServeError, ON_SHUTDOWN_DEADLINE};
pub use tls::{ServerTls, TlsError};

/// Code generated from `proto/` by `build.rs`; not part of the crate's supported API.
#[doc(hidden)]
pub mod proto {
    /// Terraform plugin protocol 6.8 (`package tfplugin6`).
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }

    /// go-plugin's controller and stdio services (`package plugin`).
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
