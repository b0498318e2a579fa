//! Where a webhook may go: an `http(s)` URL without credentials, and (unless the operator
//! allows private targets) never an address inside the newsroom's own network. The address rule
//! is checked when an endpoint is saved (IP literals and local names) and again for every
//! address a name resolves to when a message is sent, so that a name re-pointed at a private
//! address (DNS rebinding) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::FieldError;

/// The longest URL accepted (the same as for every URL).
pub const MAX_URL_CHARS: usize = crate::validate::MAX_URL_CHARS;

/// Networks no webhook is sent to unless private targets are allowed: this host, private and
/// shared (CGNAT) networks, link-local, unique-local, multicast, documentation, benchmarking and
/// reserved ranges, and the IPv6 forms that embed an IPv4 address (checked as that address).
const REFUSED_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 88, 99, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

const REFUSED_V6: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::UNSPECIFIED, 128),
    (Ipv6Addr::LOCALHOST, 128),
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

/// Whether `ip` is inside the newsroom's network or otherwise not a public address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => REFUSED_V4
            .iter()
            .any(|&(net, prefix)| ipnet::Ipv4Net::new(net, prefix).is_ok_and(|n| n.contains(&v4))),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            // IPv4-compatible addresses (`::a.b.c.d`, deprecated) reach the IPv4 address.
            let segments = v6.segments();
            if segments[..6].iter().all(|&s| s == 0) {
                return true;
            }
            REFUSED_V6.iter().any(|&(net, prefix)| {
                ipnet::Ipv6Net::new(net, prefix).is_ok_and(|n| n.contains(&v6))
            })
        }
    }
}

/// Whether a host name is one that only ever names something local.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    !host.contains('.')
        || [
            "localhost",
            "local",
            "internal",
            "lan",
            "home.arpa",
            "localdomain",
        ]
        .iter()
        .any(|suffix| host == *suffix || host.ends_with(&format!(".{suffix}")))
}

/// Checks a webhook URL; pushes what is wrong with it as errors of `field`.
pub fn check(field: &str, value: &str, allow_private: bool, errors: &mut Vec<FieldError>) {
    let mut refuse = |message: &str| errors.push(FieldError::new(field, message));
    if value.chars().count() > MAX_URL_CHARS {
        return refuse(&format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let Ok(url) = url::Url::parse(value.trim()) else {
        return refuse("must be an absolute URL such as https://www.newsroom.example/hook");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return refuse("must be an http or https URL");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("must not contain credentials: authenticate the request by its signature");
    }
    if url.fragment().is_some() {
        return refuse("must not have a fragment");
    }
    if allow_private {
        return;
    }
    match url.host() {
        None => refuse("must name a host"),
        Some(url::Host::Ipv4(ip)) if is_private(IpAddr::V4(ip)) => refuse(
            "must be a public address: private, loopback, link-local and reserved addresses are refused",
        ),
        Some(url::Host::Ipv6(ip)) if is_private(IpAddr::V6(ip)) => refuse(
            "must be a public address: private, loopback, link-local and reserved addresses are refused",
        ),
        Some(url::Host::Domain(name)) if is_local_name(name) => {
            refuse("must name a public host, not a local one")
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        let mut errors = Vec::new();
        check("url", url, false, &mut errors);
        !errors.is_empty()
    }

    #[test]
    fn refuses_what_is_not_a_public_http_target() {
        for url in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "https://user:pass@example.com/",
            "http://127.0.0.1/",
            "http://10.1.2.3/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://192.0.2.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::]/",
            "http://[2001:db8::1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://intranet/",
            "http://db.internal/",
            "not a url",
        ] {
            assert!(refused(url), "{url} should be refused");
        }
    }

    #[test]
    fn accepts_public_targets_and_anything_http_when_private_is_allowed() {
        for url in [
            "https://www.newsroom.example/api/revalidate",
            "http://93.184.216.34:8080/hook",
            "https://[2606:4700::1111]/",
        ] {
            assert!(!refused(url), "{url} should be accepted");
        }
        let mut errors = Vec::new();
        check("url", "http://127.0.0.1:9000/", true, &mut errors);
        assert!(errors.is_empty());
        check("url", "ftp://127.0.0.1/", true, &mut errors);
        assert_eq!(errors.len(), 1, "the scheme rule holds regardless");
    }
}
