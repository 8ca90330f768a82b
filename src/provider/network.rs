//! IP addresses and CIDR blocks as access-list entries, parsed with `std::net` only.
//!
//! An entry is a network in canonical form (no host bits set). A single address is the same
//! entry as its `/32` (IPv4) or `/128` (IPv6) block: Atlas stores it so and reports both
//! `ipAddress` and `cidrBlock` for it, and finds it under either form.

use std::fmt;
use std::net::IpAddr;

/// A network: an address with its host bits clear and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

/// Why text is not a canonical CIDR block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CidrError {
    /// Not `address/prefix` with a prefix in range.
    Malformed,
    /// A valid CIDR with host bits set; holds the canonical form, such as `10.0.0.0/24`.
    NotCanonical(String),
}

impl Network {
    /// One IPv4 or IPv6 address, as its single-address network; `None` for anything else
    /// (also a CIDR).
    pub fn address(text: &str) -> Option<Network> {
        let address: IpAddr = text.parse().ok()?;
        Some(Network {
            address,
            prefix: full_prefix(address),
        })
    }

    /// `address/prefix` with a decimal prefix no longer than the address allows and no host
    /// bits set.
    pub fn cidr(text: &str) -> Result<Network, CidrError> {
        let (address, prefix) = text.split_once('/').ok_or(CidrError::Malformed)?;
        let address: IpAddr = address.parse().map_err(|_| CidrError::Malformed)?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::Malformed);
        }
        let prefix: u8 = prefix.parse().map_err(|_| CidrError::Malformed)?;
        if prefix > full_prefix(address) {
            return Err(CidrError::Malformed);
        }
        let network = Network {
            address: masked(address, prefix),
            prefix,
        };
        if network.address == address {
            Ok(network)
        } else {
            Err(CidrError::NotCanonical(network.to_cidr()))
        }
    }

    /// An address or a canonical CIDR block.
    pub fn entry(text: &str) -> Option<Network> {
        Network::address(text).or_else(|| Network::cidr(text).ok())
    }

    /// True for a `/32` or `/128`.
    pub fn is_single_address(&self) -> bool {
        self.prefix == full_prefix(self.address)
    }

    /// `address/prefix`, in the standard text form (`10.0.0.1/32`, `2001:db8::/48`).
    pub fn to_cidr(&self) -> String {
        format!("{}/{}", self.address, self.prefix)
    }

    /// The address alone for a single address, else the CIDR: how the entry is named in
    /// import IDs and request paths (as the official provider names it).
    pub fn to_entry(&self) -> String {
        if self.is_single_address() {
            self.address.to_string()
        } else {
            self.to_cidr()
        }
    }

    /// The address, for a single-address network.
    pub fn single_address(&self) -> Option<String> {
        self.is_single_address().then(|| self.address.to_string())
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_entry())
    }
}

/// 32 for IPv4, 128 for IPv6.
fn full_prefix(address: IpAddr) -> u8 {
    if address.is_ipv4() {
        32
    } else {
        128
    }
}

/// `address` with every bit past `prefix` cleared.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_blocks() {
        // (input, as an entry, its CIDR)
        let cases = [
            ("10.0.0.1", "10.0.0.1", "10.0.0.1/32"),
            ("10.0.0.1/32", "10.0.0.1", "10.0.0.1/32"),
            ("10.0.0.0/24", "10.0.0.0/24", "10.0.0.0/24"),
            ("0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0"),
            ("2001:DB8::1", "2001:db8::1", "2001:db8::1/128"),
            ("2001:db8:0::/48", "2001:db8::/48", "2001:db8::/48"),
            ("::/0", "::/0", "::/0"),
        ];
        for (input, entry, cidr) in cases {
            let network = Network::entry(input).unwrap_or_else(|| panic!("{input} is an entry"));
            assert_eq!(
                (network.to_entry(), network.to_cidr()),
                (entry.to_string(), cidr.to_string()),
                "{input}"
            );
        }
        assert_eq!(Network::entry("10.0.0.1"), Network::entry("10.0.0.1/32"));
        assert_eq!(Network::entry("2001:db8::1"), Network::entry("2001:db8::1/128"));
    }

    #[test]
    fn cidr_errors_name_the_canonical_form() {
        let cases = [
            ("10.0.0.1/24", CidrError::NotCanonical("10.0.0.0/24".into())),
            ("10.1.2.3/8", CidrError::NotCanonical("10.0.0.0/8".into())),
            ("2001:db8::1/64", CidrError::NotCanonical("2001:db8::/64".into())),
            ("10.0.0.0/33", CidrError::Malformed),
            ("::/129", CidrError::Malformed),
            ("10.0.0.0", CidrError::Malformed),
            ("10.0.0.0/", CidrError::Malformed),
            ("10.0.0.0/+8", CidrError::Malformed),
            ("10.0.0.0/0008", CidrError::Malformed),
            ("10.0.0/8", CidrError::Malformed),
            ("010.0.0.0/8", CidrError::Malformed),
            ("", CidrError::Malformed),
        ];
        for (input, expected) in cases {
            assert_eq!(Network::cidr(input), Err(expected), "{input}");
        }
        for not_an_address in ["10.0.0.1/32", "300.1.1.1", "1.2.3", " 10.0.0.1", "localhost"] {
            assert_eq!(Network::address(not_an_address), None, "{not_an_address}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,60}") {
            let _ = Network::entry(&input);
            let _ = Network::cidr(&input);
        }

        #[test]
        fn every_v4_block_canonicalizes(a in 0u32.., prefix in 0u8..=32) {
            let address = std::net::Ipv4Addr::from(a);
            let text = format!("{address}/{prefix}");
            match Network::cidr(&text) {
                Ok(network) => proptest::prop_assert_eq!(network.to_cidr(), text),
                Err(CidrError::NotCanonical(canonical)) => {
                    let network = Network::cidr(&canonical);
                    proptest::prop_assert!(network.is_ok());
                }
                Err(CidrError::Malformed) => proptest::prop_assert!(false, "{} is well formed", text),
            }
        }
    }
}
