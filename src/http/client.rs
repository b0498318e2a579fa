//! Who is asking: the client's address, trusting `X-Forwarded-For` only from configured proxies.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// An IP network (`203.0.113.0/24`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet(ipnet::IpNet);

impl IpNet {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let invalid = || format!("`{value}` is not an IP address or network such as 10.0.0.0/8");
        let (addr, prefix) = match value.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| invalid())?)),
            None => (value, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| invalid())?;
        let net = match prefix {
            Some(prefix) => ipnet::IpNet::new(addr, prefix).map_err(|_| invalid())?,
            None => ipnet::IpNet::from(addr),
        };
        Ok(Self(net))
    }

    /// Whether `ip` is in this network; an IPv4 client also matches an IPv6 network through
    /// its IPv4-mapped form (`::ffff:10.0.0.0/104`).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.0, canonical(ip)) {
            (ipnet::IpNet::V6(net), IpAddr::V4(v4)) => net.contains(&v4.to_ipv6_mapped()),
            (net, ip) => net.contains(&ip),
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = canonical(req.peer_addr()?.ip());
    if !trusted.iter().any(|n| n.contains(peer)) {
        return Some(peer);
    }
    let mut client = peer;
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    for hop in forwarded.into_iter().rev() {
        client = hop;
        if !trusted.iter().any(|n| n.contains(hop)) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match_their_addresses() {
        let net = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(
            IpNet::parse("127.0.0.1")
                .unwrap()
                .contains("::ffff:127.0.0.1".parse().unwrap())
        );
        assert!(
            IpNet::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8:1::5".parse().unwrap())
        );
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            IpNet::parse("::ffff:10.0.0.0/104")
                .unwrap()
                .contains("10.9.8.7".parse().unwrap())
        );
        assert!(
            !IpNet::parse("::ffff:10.0.0.0/104")
                .unwrap()
                .contains("11.0.0.1".parse().unwrap())
        );
        assert!(
            !IpNet::parse("10.0.0.0/8")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert!(IpNet::parse("10.0.0.0/33").is_err());
        assert!(IpNet::parse("proxy.local").is_err());
    }
}
