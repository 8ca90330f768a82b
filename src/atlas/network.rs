//! How the client reaches Atlas: name resolution, the proxy and the connection pool.
//!
//! The first two are ours rather than reqwest's defaults so that a failure can name its cause:
//! - [`Resolver`] looks names up with the system resolver (`getaddrinfo`, like reqwest's
//!   default) and fails with [`NameNotResolved`], a type the error mapping recognizes.
//! - [`proxy_for`] picks the proxy from the environment the way curl and Go do, so the client
//!   knows which `host:port` a failure to connect belongs to.
//!
//! [`LazyHttp`] builds the reqwest connection pool on first use: building it loads the
//! platform's certificate store, which most of the provider processes Terraform starts (for
//! the schema, validation, a plan without resources) never need.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderValue;
use tokio::sync::OnceCell;
use url::Url;

use super::error::{Error, NameNotResolved, RequestError};

/// Everything the connection pool is built from; checked by the client before it is stored.
pub(crate) struct HttpSettings {
    /// The default `User-Agent`.
    pub(crate) user_agent: HeaderValue,
    /// Limit for establishing a connection (TCP and TLS).
    pub(crate) connect_timeout: Duration,
    /// The resolver connections look names up with.
    pub(crate) resolver: Arc<Resolver>,
    /// Certificate authorities trusted besides the platform's.
    pub(crate) extra_roots: Vec<reqwest::Certificate>,
    /// The proxy every request goes through, if any.
    pub(crate) proxy: Option<reqwest::Proxy>,
}

/// The reqwest connection pool, built from [`HttpSettings`] by the first request that needs it
/// (concurrent first requests wait for that one build). Shared by the client's clones and the
/// OAuth token endpoint.
pub(crate) struct LazyHttp {
    settings: HttpSettings,
    built: OnceCell<reqwest::Client>,
}

impl LazyHttp {
    /// A pool that is not built yet; builds nothing.
    pub(crate) fn new(settings: HttpSettings) -> LazyHttp {
        LazyHttp {
            settings,
            built: OnceCell::new(),
        }
    }

    /// The pool, built now if this is the first use: TLS with rustls, trusting the platform's
    /// store (or `SSL_CERT_FILE`/`SSL_CERT_DIR`), the Mozilla roots and the extra roots.
    ///
    /// Errors (`Error::Request`, "could not build the http client", never cached: the next
    /// call tries again) when reqwest refuses the settings, such as a trust store without any
    /// usable certificate.
    pub(crate) async fn get(&self) -> Result<&reqwest::Client, Error> {
        self.built.get_or_try_init(|| async { self.build() }).await
    }

    /// True once the pool was built (tests check that nothing was).
    pub(crate) fn is_built(&self) -> bool {
        self.built.initialized()
    }

    /// A pool with default settings and no proxy, for tests.
    #[cfg(test)]
    pub(crate) fn plain() -> Arc<LazyHttp> {
        Arc::new(LazyHttp::new(HttpSettings {
            user_agent: HeaderValue::from_static("test"),
            connect_timeout: Duration::from_secs(1),
            resolver: Arc::default(),
            extra_roots: Vec::new(),
            proxy: None,
        }))
    }

    fn build(&self) -> Result<reqwest::Client, Error> {
        let settings = &self.settings;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .dns_resolver(settings.resolver.clone())
            .no_proxy();
        for root in &settings.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        if let Some(proxy) = &settings.proxy {
            builder = builder.proxy(proxy.clone());
        }
        let started = std::time::Instant::now();
        let built = builder
            .build()
            .map_err(|err| RequestError::with_source("could not build the http client", err.without_url()))?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "atlas http client built (trust store loaded)"
        );
        Ok(built)
    }
}

/// The system resolver, counting lookups (tests count attempts with it).
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    lookups: AtomicU64,
}

impl Resolver {
    /// Names looked up so far.
    pub(crate) fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.clone(), 0)).await;
            match found {
                Ok(addrs) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    if addrs.is_empty() {
                        return Err(Box::new(NameNotResolved { host, source: None }) as _);
                    }
                    Ok(Box::new(addrs.into_iter()) as Addrs)
                }
                Err(err) => Err(Box::new(NameNotResolved {
                    host,
                    source: Some(err),
                }) as _),
            }
        })
    }
}

/// The proxy for requests to `url`, from `env`: `HTTPS_PROXY` / `https_proxy` for https
/// (`HTTP_PROXY` / `http_proxy` for http), else `ALL_PROXY` / `all_proxy`; none when
/// `NO_PROXY` / `no_proxy` names the host. A proxy without a scheme is taken as `http://`.
///
/// `NO_PROXY` is a comma-separated list: `*` matches every host; an IP address matches itself
/// and a CIDR block (`10.0.0.0/8`) the addresses in it;
/// a name matches itself and its subdomains (`example.com` and `.example.com` both match
/// `cloud.example.com`). An unparsable proxy value is ignored.
pub(crate) fn proxy_for(url: &Url, env: impl Fn(&str) -> Option<String>) -> Option<Url> {
    let read = |names: &[&str]| {
        names.iter().find_map(|name| {
            env(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        })
    };
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']');
    // As Go (and so Terraform) does: localhost and loopback addresses are never proxied.
    if host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return None;
    }
    let port = url.port_or_known_default();
    if let Some(no_proxy) = read(&["NO_PROXY", "no_proxy"]) {
        if no_proxy.split(',').any(|entry| bypasses(entry.trim(), host, port)) {
            return None;
        }
    }
    let scheme_vars: &[&str] = if url.scheme() == "https" {
        &["HTTPS_PROXY", "https_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy"]
    };
    let proxy = read(scheme_vars).or_else(|| read(&["ALL_PROXY", "all_proxy"]))?;
    let proxy = if proxy.contains("://") {
        proxy
    } else {
        format!("http://{proxy}")
    };
    Url::parse(&proxy).ok().filter(|proxy| proxy.host_str().is_some())
}

/// Whether the `NO_PROXY` entry `entry` names `host` (on `port`). An entry with a port
/// (`example.com:8443`, `[::1]:8443`) names that port only.
fn bypasses(entry: &str, host: &str, port: Option<u16>) -> bool {
    if entry.is_empty() {
        return false;
    }
    if entry == "*" {
        return true;
    }
    let (entry, entry_port) = split_port(entry);
    if entry_port.is_some_and(|entry_port| Some(entry_port) != port) {
        return false;
    }
    let entry = entry.trim_start_matches("*.").trim_start_matches('.');
    if let Ok(host) = host.parse::<IpAddr>() {
        return match entry.split_once('/') {
            Some((network, prefix)) => in_block(host, network, prefix),
            None => entry.parse::<IpAddr>().is_ok_and(|entry| entry == host),
        };
    }
    let (entry, host) = (entry.to_ascii_lowercase(), host.to_ascii_lowercase());
    host == entry || host.ends_with(&format!(".{entry}"))
}

/// `entry` without a trailing `:port`, and the port. A bare IPv6 address (`::1`) has no port;
/// a bracketed one may (`[::1]:8443`).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((address, tail)) => (address, tail.strip_prefix(':').and_then(|port| port.parse().ok())),
            None => (entry, None),
        };
    }
    match entry.split_once(':') {
        Some((name, port)) if !port.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// Whether `host` is in the CIDR block `network/prefix` (same address family only).
fn in_block(host: IpAddr, network: &str, prefix: &str) -> bool {
    let (Ok(network), Ok(prefix)) = (network.parse::<IpAddr>(), prefix.parse::<u32>()) else {
        return false;
    };
    let (host, network, bits) = match (host, network) {
        (IpAddr::V4(host), IpAddr::V4(network)) => (u128::from(host.to_bits()), u128::from(network.to_bits()), 32),
        (IpAddr::V6(host), IpAddr::V6(network)) => (host.to_bits(), network.to_bits(), 128),
        _ => return false,
    };
    if prefix > bits {
        return false;
    }
    let shift = bits - prefix;
    shift >= 128 || (host >> shift) == (network >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let url = Url::parse(url).unwrap_or_else(|err| panic!("{err}"));
        proxy_for(&url, |name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .map(|proxy| proxy.to_string())
    }

    #[test]
    fn proxy_comes_from_the_scheme_variable_then_all_proxy() {
        let https = "https://cloud.mongodb.com";
        assert_eq!(proxy(https, &[]), None);
        assert_eq!(
            proxy(https, &[("HTTPS_PROXY", "proxy.corp:3128")]).as_deref(),
            Some("http://proxy.corp:3128/")
        );
        assert_eq!(
            proxy(https, &[("https_proxy", "http://p:1"), ("ALL_PROXY", "http://all:2")]).as_deref(),
            Some("http://p:1/")
        );
        assert_eq!(
            proxy(https, &[("HTTP_PROXY", "http://h:1")]),
            None,
            "http proxy is for http"
        );
        assert_eq!(
            proxy("http://atlas.example.test:8080", &[("HTTP_PROXY", "http://h:1")]).as_deref(),
            Some("http://h:1/")
        );
        assert_eq!(
            proxy(https, &[("all_proxy", "http://all:2")]).as_deref(),
            Some("http://all:2/")
        );
    }

    #[test]
    fn no_proxy_names_hosts_domains_and_addresses() {
        let with = |no_proxy: &str, url: &str| proxy(url, &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no_proxy)]);
        assert_eq!(with("*", "https://cloud.mongodb.com"), None);
        assert_eq!(with("mongodb.com", "https://cloud.mongodb.com"), None);
        assert_eq!(with(".mongodb.com", "https://cloud.mongodb.com"), None);
        assert_eq!(with("x.org, cloud.mongodb.com", "https://cloud.mongodb.com"), None);
        assert_eq!(with("10.9.8.7", "https://10.9.8.7:8443"), None);
        assert_eq!(with("fd00::1", "https://[fd00::1]:8443"), None);
        assert!(with("notmongodb.com", "https://cloud.mongodb.com").is_some());
        assert!(with("godb.com", "https://cloud.mongodb.com").is_some());
        assert!(with("10.9.8.6", "https://10.9.8.7").is_some());
        assert_eq!(with("10.0.0.0/8", "https://10.1.2.3"), None);
        assert_eq!(with("0.0.0.0/0", "https://10.1.2.3"), None);
        assert!(with("10.0.0.0/8", "https://11.1.2.3").is_some());
        assert_eq!(with("fd00::/8", "https://[fd12::1]"), None);
        assert!(
            with("10.0.0.0/33", "https://10.1.2.3").is_some(),
            "a prefix too long matches nothing"
        );
        assert!(with("10.0.0.0/8", "https://[fd12::1]").is_some(), "families differ");
        assert_eq!(with("example.com:8443", "https://cloud.example.com:8443"), None);
        assert!(
            with("example.com:8443", "https://cloud.example.com").is_some(),
            "another port"
        );
        assert_eq!(with("10.1.2.3:443", "https://10.1.2.3"), None, "the scheme's port");
        assert_eq!(with("[fd12::1]:8443", "https://[fd12::1]:8443"), None);
        assert_eq!(
            with("fd12::1", "https://[fd12::1]:8443"),
            None,
            "a bare IPv6 address has no port"
        );
    }

    #[test]
    fn localhost_and_loopback_are_never_proxied() {
        let vars = [
            ("HTTPS_PROXY", "http://p:1"),
            ("HTTP_PROXY", "http://p:1"),
            ("ALL_PROXY", "http://p:1"),
        ];
        for url in [
            "http://127.0.0.1:8080",
            "https://localhost:8443",
            "http://127.1.2.3",
            "https://[::1]:8443",
        ] {
            assert_eq!(proxy(url, &vars), None, "{url}");
        }
        assert!(proxy("https://10.0.0.1", &vars).is_some());
    }
}
