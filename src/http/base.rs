//! The base of the absolute URLs a response carries (image files and renditions): the
//! configured `MASTHEAD_PUBLIC_URL`, or else the scheme and host the client asked for, taking
//! `X-Forwarded-Proto` and `X-Forwarded-Host` only from a trusted proxy.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::config::Config;

/// `https://api.newsroom.example` (no trailing slash) for this request.
pub fn public_base(req: &HttpRequest, config: &Config) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| config.trusted_proxies.iter().any(|n| n.contains(peer.ip())));
    let forwarded = |name: &str| {
        from_proxy
            .then(|| req.headers().get(name))
            .flatten()
            .and_then(|v| v.to_str().ok())
            // A chain of proxies appends: the first value is what the client asked for.
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    let scheme = match forwarded("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = forwarded("x-forwarded-host")
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
        })
        .filter(|h| is_host(h))
        .map_or_else(|| config.bind.to_string(), str::to_owned);
    format!("{scheme}://{host}")
}

/// Whether `value` is a host with an optional port (`name`, `1.2.3.4`, `[::1]`, each with
/// `:port`): nothing that could carry a path, a user or markup into a URL.
fn is_host(value: &str) -> bool {
    let (host, port) = match value.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (h, Some(p)),
        _ => (value, None),
    };
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        inner.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    host_ok && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

/// The JSON key every image URL is written under; [`absolutize`] finds URLs by it.
const URL_KEY: &[u8] = b"\"url\":\"/v1/";

/// Makes the site-relative image URLs in a JSON `body` absolute (`"url":"/v1/…"` becomes
/// `"url":"{base}/v1/…"`). Stored list summaries keep their URLs relative so that one stored
/// summary serves every base. In JSON text a quote inside a string is always escaped, so the
/// pattern only ever matches a real `url` member, never text an editor wrote.
pub fn absolutize(body: Vec<u8>, base: &str) -> Vec<u8> {
    let mut matches = body
        .windows(URL_KEY.len())
        .enumerate()
        .filter(|(_, w)| *w == URL_KEY)
        .map(|(i, _)| i)
        .peekable();
    if matches.peek().is_none() {
        return body;
    }
    let mut out = Vec::with_capacity(body.len() + 64 * base.len());
    let mut from = 0;
    for at in matches {
        let split = at + URL_KEY.len() - "/v1/".len();
        out.extend_from_slice(&body[from..split]);
        out.extend_from_slice(base.as_bytes());
        from = split;
    }
    out.extend_from_slice(&body[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_addresses_and_ports_only() {
        for ok in [
            "api.example",
            "api.example:8443",
            "127.0.0.1:80",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(is_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "evil.example/path",
            "user@evil.example",
            "x:99999",
            "<script>",
            "a.example:",
            "[nope]:1",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }

    #[test]
    fn only_url_members_are_made_absolute() {
        let body = br#"{"title":"see \"url\":\"/v1/x","url":"/v1/images/a/file","renditions":[{"url":"/v1/images/a/file?w=320"}]}"#;
        let out = absolutize(body.to_vec(), "https://api.example");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"title":"see \"url\":\"/v1/x","url":"https://api.example/v1/images/a/file","renditions":[{"url":"https://api.example/v1/images/a/file?w=320"}]}"#
        );
        assert_eq!(absolutize(b"{}".to_vec(), "http://h"), b"{}");
    }
}
