//! The one integration-test binary: in-process tests and end-to-end tests through the real `terraform`.

mod client;
mod codec;
mod docs;
mod e2e;
mod grpc;
mod support;
mod transport;
