//! Cursor pagination: `limit` (1–100, default 20) and an opaque `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ApiError, ApiResult, FieldError};

/// The default page size.
pub const DEFAULT_LIMIT: i64 = 20;
/// The largest page size.
pub const MAX_LIMIT: i64 = 100;

/// Checks a requested page size.
pub fn limit(requested: Option<i64>) -> ApiResult<i64> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::Validation(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )])),
    }
}

/// Encodes the position after the last item of a page; `kind` keeps cursors of one list from
/// being accepted by another.
pub fn encode_cursor(kind: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

/// Decodes a cursor made by [`encode_cursor`] for the same `kind`.
pub fn decode_cursor(kind: &str, cursor: &str) -> ApiResult<String> {
    let invalid = || ApiError::BadRequest("the cursor is not valid for this list".to_owned());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let position = text
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(invalid)?;
    if position.is_empty() || position.chars().any(char::is_control) {
        return Err(invalid());
    }
    Ok(position.to_owned())
}

/// The position an optional `cursor` names in a list of this `kind` (`None` for the first page).
pub fn decode_optional(kind: &str, cursor: Option<&str>) -> ApiResult<Option<String>> {
    cursor.map(|c| decode_cursor(kind, c)).transpose()
}

/// Splits `rows` (fetched with `limit + 1`) into a page and the cursor of the next one.
pub fn paginate<T>(
    mut rows: Vec<T>,
    limit: i64,
    kind: &str,
    position: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|last| encode_cursor(kind, &position(last)));
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor("users", "0192-abc");
        assert_eq!(decode_cursor("users", &c).ok().as_deref(), Some("0192-abc"));
        assert!(decode_cursor("articles", &c).is_err());
        assert!(decode_cursor("users", "!!!").is_err());
        assert!(decode_cursor("users", &URL_SAFE_NO_PAD.encode("users:")).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).ok(), Some(20));
        assert_eq!(limit(Some(100)).ok(), Some(100));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }
}
