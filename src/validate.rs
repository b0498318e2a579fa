//! The checks every resource's fields share: free text, and the one rule for URLs and language
//! tags, with parse-once types ([`HttpUrl`], [`LanguageTag`]) whose constructors report into the
//! request's list of field errors, so every bad field is reported at once.

use serde::Serialize;

use crate::error::FieldError;

/// Checks a text field: trimmed, an empty value counts as absent (an error when `required`), at
/// most `max` characters, and no control characters but line breaks and tabs. Returns the
/// trimmed value, or `None` when absent.
pub fn text(
    field: &str,
    value: Option<&str>,
    required: bool,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None if required => errors.push(FieldError::new(field, "must not be empty")),
        Some(v) if v.chars().count() > max => {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            errors.push(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        _ => {}
    }
    value.map(str::to_owned)
}

/// Most characters in a URL (the same for links, embeds, sources and settings).
pub const MAX_URL_CHARS: usize = 2_000;

/// Why [`check_url`] refused a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    TooLong,
    Characters,
    /// A `mailto:` with nothing after it.
    NoAddress,
    Scheme,
    NoHost,
    /// Shaped right, but not a URL a parser accepts (a bad port, IPv6 literal or host).
    Invalid,
}

impl UrlError {
    /// The message of a field error; `allow_mailto` says whether mailto links were allowed.
    pub fn message(self, allow_mailto: bool) -> String {
        match self {
            Self::Empty => "must not be empty".to_owned(),
            Self::TooLong => format!("must be at most {MAX_URL_CHARS} characters"),
            Self::Characters => {
                "must not contain spaces, quotes, angle brackets, backslashes or control characters"
                    .to_owned()
            }
            Self::NoAddress => "must have an address".to_owned(),
            Self::Scheme if allow_mailto => {
                "only http, https and mailto links are allowed".to_owned()
            }
            Self::Scheme => "must be an http or https url".to_owned(),
            Self::NoHost => "must have a host".to_owned(),
            Self::Invalid => "is not a valid url".to_owned(),
        }
    }
}

/// The one URL rule: an absolute `http`/`https` URL (scheme in any case) with a host, at most
/// [`MAX_URL_CHARS`] characters, that the `url` crate parses; or, when `allow_mailto`, a
/// `mailto:` with an address. Characters that could help break out of an attribute or confuse
/// a parser (whitespace, controls, `"`, `'`, `` ` ``, `<`, `>`, `\`) are refused outright, so
/// writers percent-encode them. The value is kept as given; it is never normalised.
pub fn check_url(url: &str, allow_mailto: bool) -> Result<(), UrlError> {
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(UrlError::TooLong);
    }
    if url.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '<' | '>' | '\\')
    }) {
        return Err(UrlError::Characters);
    }
    let scheme_end = url.find(':').unwrap_or(0);
    let scheme = url[..scheme_end].to_ascii_lowercase();
    if allow_mailto && scheme == "mailto" {
        return if url.len() > "mailto:".len() {
            Ok(())
        } else {
            Err(UrlError::NoAddress)
        };
    }
    let rest = match url[scheme_end..].strip_prefix("://") {
        Some(rest) if scheme == "http" || scheme == "https" => rest,
        _ => return Err(UrlError::Scheme),
    };
    // The host as written: the parser alone would read `https:///x` as host `x`.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    match url::Url::parse(url) {
        Ok(parsed) if parsed.host().is_some() => Ok(()),
        _ => Err(UrlError::Invalid),
    }
}

/// An absolute http(s) URL that passed [`check_url`], kept exactly as given (and serialized as
/// that string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Checks `value`; on failure records "must be an http or https URL" for `field`.
    pub fn parse(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        match check_url(value, false) {
            Ok(()) => Some(Self(value.to_owned())),
            Err(_) => {
                errors.push(FieldError::new(field, "must be an http or https URL"));
                None
            }
        }
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A well-formed BCP 47 language tag whose primary language has 2 or 3 letters (`en`, `uk`,
/// `pt-BR`, `zh-Hant-TW`), at most 35 characters; kept as given (and serialized as that string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Checks `value`; on failure records a field error for `field`.
    pub fn parse(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        if is_language_tag(value) {
            Some(Self(value.to_owned()))
        } else {
            errors.push(FieldError::new(
                field,
                "must be a BCP 47 language tag such as en, uk or pt-BR",
            ));
            None
        }
    }

    /// The tag as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `AsRef<str>` and `Display` for a newtype over a `String` with an `as_str`.
macro_rules! str_newtype {
    ($($ty:ty),*) => {$(
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

pub(crate) use str_newtype;

str_newtype!(HttpUrl, LanguageTag);

/// Whether `tag` is a language tag [`LanguageTag`] accepts (for filters, which answer 400).
/// The first subtag is checked as written: grandfathered tags (`sgn-BE-FR`) report the whole
/// tag as their primary language.
pub fn is_language_tag(tag: &str) -> bool {
    let first = tag.split('-').next().unwrap_or_default();
    tag.len() <= 35
        && (2..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && language_tags::LanguageTag::parse(tag).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        let mut errors = Vec::new();
        assert_eq!(
            text("a", Some("  hi \n"), true, 5, &mut errors).as_deref(),
            Some("hi")
        );
        assert_eq!(text("b", Some("   "), false, 5, &mut errors), None);
        assert!(errors.is_empty());
        text("c", None, true, 5, &mut errors);
        text("d", Some("toolong"), true, 5, &mut errors);
        text("e", Some("a\u{0}b"), true, 5, &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["c", "d", "e"]);
    }

    #[test]
    fn one_url_rule() {
        for ok in [
            "https://a.example",
            "http://a.example:8080/x?y=1#z",
            "HTTPS://A.EXAMPLE/",
            "https://[2001:db8::1]:443/x",
            "https://user@a.example/",
            "https://en.wikipedia.org/wiki/Mercury_(planet)",
        ] {
            assert_eq!(check_url(ok, false), Ok(()), "{ok}");
        }
        assert_eq!(check_url("mailto:desk@news.example", true), Ok(()));
        let cases = [
            ("", UrlError::Empty),
            ("https://a.example/a b", UrlError::Characters),
            ("https://a.example/`x", UrlError::Characters),
            ("mailto:desk@news.example", UrlError::Scheme),
            ("ftp://a.example", UrlError::Scheme),
            ("https:a.example", UrlError::Scheme),
            ("javascript:alert(1)", UrlError::Scheme),
            ("https://", UrlError::NoHost),
            ("https:///path", UrlError::NoHost),
            ("https://user@:80/", UrlError::NoHost),
            ("https://?x", UrlError::NoHost),
            ("https://a.example:99999/", UrlError::Invalid),
            ("https://a.example:port/", UrlError::Invalid),
            ("https://[::1/", UrlError::Invalid),
            ("https://a|b.example/", UrlError::Invalid),
        ];
        for (url, error) in cases {
            assert_eq!(check_url(url, false), Err(error), "{url}");
        }
        assert_eq!(check_url("mailto:", true), Err(UrlError::NoAddress));
        let long = format!("https://a.example/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(check_url(&long, false), Err(UrlError::TooLong));
    }

    #[test]
    fn http_urls_parse_once_and_keep_the_text_as_given() {
        let mut errors = Vec::new();
        for ok in ["https://a.example", "HTTP://A.example:8080/x?y=1#z"] {
            let url = HttpUrl::parse("url", ok, &mut errors).unwrap();
            assert_eq!((url.as_str(), url.as_ref()), (ok, ok));
            assert_eq!(url.to_string(), ok);
            assert_eq!(serde_json::to_string(&url).unwrap(), format!("\"{ok}\""));
        }
        assert!(errors.is_empty());
        for bad in [
            "",
            "mailto:desk@news.example",
            "https://",
            "https://a b.example",
        ] {
            assert!(
                HttpUrl::parse("sources[2].url", bad, &mut errors).is_none(),
                "{bad}"
            );
        }
        assert_eq!(errors.len(), 4);
        assert!(errors.iter().all(|e| e.field == "sources[2].url"
            && e.message == "must be an http or https URL"));
    }

    #[test]
    fn language_tags_parse_once_and_keep_the_text_as_given() {
        let mut errors = Vec::new();
        let tag = LanguageTag::parse("language", "zh-Hant-TW", &mut errors).unwrap();
        assert_eq!((tag.as_str(), tag.as_ref()), ("zh-Hant-TW", "zh-Hant-TW"));
        assert_eq!(tag.to_string(), "zh-Hant-TW");
        assert_eq!(serde_json::to_string(&tag).unwrap(), "\"zh-Hant-TW\"");
        assert!(errors.is_empty());
        for bad in ["", "english", "en_US"] {
            assert!(
                LanguageTag::parse("language", bad, &mut errors).is_none(),
                "{bad}"
            );
        }
        assert_eq!(errors.len(), 3);
        assert!(errors.iter().all(|e| e.field == "language"
            && e.message == "must be a BCP 47 language tag such as en, uk or pt-BR"));
    }

    #[test]
    fn language_tags() {
        for ok in [
            "en",
            "uk",
            "pt-BR",
            "zh-Hant-TW",
            "EN-us",
            "es-419",
            "en-x-house",
            "sgn-BE-FR",
        ] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "e",
            "english",
            "x-private",
            "i-klingon",
            "en_US",
            "en-",
            "en--US",
            "en-a",
            "en-1",
            "en-US-US",
            "en-toolongsubtag",
            "pt-BR-",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
        let mut errors = Vec::new();
        assert!(LanguageTag::parse("language", "pt-BR", &mut errors).is_some());
        assert!(LanguageTag::parse("language", "??", &mut errors).is_none());
        assert!(HttpUrl::parse("canonical_url", "ftp://x.example", &mut errors).is_none());
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["language", "canonical_url"]);
    }
}
