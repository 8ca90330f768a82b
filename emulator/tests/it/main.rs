//! Integration tests of the emulator: in-process through `router(state).oneshot(...)`, plus a
//! few over real sockets. One binary, one module per API area.

mod access_list;
mod admin;
mod ai_keys;
mod ai_rate_limits;
mod auth;
mod faults;
mod key_limit;
mod oauth;
mod org_keys;
mod project_keys;
mod requests;
mod server;
mod support;
mod tls;
mod version;
