//! The one integration-test binary: in-process tests and end-to-end tests through the real `terraform`.

mod binary;
mod bounds;
mod client;
mod codec;
mod docs;
mod e2e;
mod e2e_access_list;
mod e2e_ai;
mod e2e_assignment;
mod e2e_config;
mod e2e_dropin;
mod e2e_faults;
mod e2e_limits;
mod e2e_logs;
mod e2e_project;
mod e2e_rate_limit;
mod e2e_recovery;
mod e2e_release;
mod e2e_secrets;
mod e2e_upgrade;
mod grpc;
mod support;
mod tidy;
mod transport;
mod value;
