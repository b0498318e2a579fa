//! One input discipline for every route, checked before any query: no control characters in
//! the path or the query string (PostgreSQL cannot store a NUL, and no id, slug, cursor or filter
//! holds one), and times within what both databases hold.

use actix_web::dev::ServiceRequest;
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{ApiError, FieldError};

/// Why the request's target is refused, if it is: a percent-encoded control character in the
/// path (400) or in a query parameter (422 naming it). A raw one never passes the HTTP parser.
pub fn refuse_target(req: &ServiceRequest) -> Option<ApiError> {
    if has_encoded_control(req.uri().path()) {
        return Some(ApiError::BadRequest(
            "the path contains a control character (such as %00)".to_owned(),
        ));
    }
    let query = req.query_string();
    if !has_encoded_control(query) {
        return None;
    }
    let errors = query
        .split('&')
        .filter(|pair| has_encoded_control(pair))
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            let field = if has_encoded_control(name) || name.is_empty() {
                "query"
            } else {
                name
            };
            FieldError::new(field, "must not contain control characters")
        })
        .collect();
    Some(ApiError::Validation(errors))
}

/// Whether `raw` (still percent-encoded) encodes a byte below 0x20 or DEL.
fn has_encoded_control(raw: &str) -> bool {
    raw.as_bytes().windows(3).any(|w| match w {
        [b'%', b'0' | b'1', h] => h.is_ascii_hexdigit(),
        [b'%', b'7', b'f' | b'F'] => true,
        _ => false,
    })
}

/// The earliest and latest instants accepted anywhere (a filter, a cursor): years 1 to 9999,
/// which both databases store and compare.
pub fn is_storable(at: DateTime<Utc>) -> bool {
    let first = NaiveDate::from_ymd_opt(1, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let last = NaiveDate::from_ymd_opt(10_000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    match (first, last) {
        (Some(first), Some(last)) => (first..last).contains(&at.naive_utc()),
        _ => false,
    }
}

/// Whether JSON text holds an escaped NUL (`\u0000`), which PostgreSQL text cannot store.
pub fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1..i + 6) == Some(b"u0000".as_slice()) {
                return true;
            }
            // Whatever is escaped (a quote, a backslash) is skipped with its backslash.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The path (`authors[1]`, `featured_image.image_id`) of the first string in `value` that holds
/// a NUL, as the JSON extractor names fields.
pub fn path_of_nul(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| path_of_nul(v).map(|rest| format!("[{i}]{}", dotted(&rest)))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(String::new());
            }
            path_of_nul(v).map(|rest| format!("{k}{}", dotted(&rest)))
        }),
        _ => None,
    }
}

fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_owned()
    } else {
        format!(".{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_controls_are_found_and_others_are_not() {
        for bad in ["/v1/articles/%00", "/a/%1f", "q=a%0Ab", "x=%7f", "x=%7F"] {
            assert!(has_encoded_control(bad), "{bad}");
        }
        for ok in [
            "/v1/articles/caf%C3%A9",
            "q=a%20b",
            "x=%2F",
            "x=%",
            "x=%0",
            "x=%7e",
        ] {
            assert!(!has_encoded_control(ok), "{ok}");
        }
    }

    #[test]
    fn escaped_nuls_are_found_and_escaped_backslashes_are_not() {
        assert!(has_escaped_nul(br#"{"a":"x\u0000"}"#));
        assert!(has_escaped_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"\u0001 \" \\"}"#));
    }

    #[test]
    fn the_path_of_a_nul_names_the_field() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"t":"ok","authors":["a","b\u0000"],"f":{"id":"x"}}"#).unwrap();
        assert_eq!(path_of_nul(&v).as_deref(), Some("authors[1]"));
        let v: serde_json::Value = serde_json::from_str(r#"{"f":{"id":"\u0000"}}"#).unwrap();
        assert_eq!(path_of_nul(&v).as_deref(), Some("f.id"));
        let v: serde_json::Value = serde_json::from_str(r#""\u0000""#).unwrap();
        assert_eq!(path_of_nul(&v).as_deref(), Some(""));
    }

    #[test]
    fn storable_times_are_years_1_to_9999() {
        assert!(is_storable(DateTime::<Utc>::UNIX_EPOCH));
        let early = DateTime::<Utc>::from_timestamp_micros(-8_000_000_000_000_000_000).unwrap();
        assert!(!is_storable(early));
        assert!(!is_storable(DateTime::<Utc>::MAX_UTC));
    }
}
