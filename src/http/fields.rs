//! Sparse fieldsets: the comma-separated name lists of `fields`, `formats` and `include`, and
//! the projection of a finished JSON representation onto the members a client asked for.
//!
//! The projection works on the JSON a read has already rendered (an article, a page of cards),
//! so it is the same whatever produced those bytes, and a member is either copied byte for byte
//! or left out: a sparse response shows exactly what the full one shows, less members.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::error::{ApiError, ApiResult, FieldError};

/// The media type of a response shaped by `fields`, `formats` or `include`: a `+json` type, so
/// any JSON client reads it, under which the spec describes the narrowed shapes (every member
/// optional but `id`) while `application/json` keeps describing the whole representation.
pub const SPARSE_JSON: &str = "application/vnd.masthead.sparse+json";

/// The query parameters whose values are name lists; the response cache sorts and deduplicates
/// their names (see [`canonical_query`]).
const NAME_LISTS: [&str; 3] = ["fields", "formats", "include"];

/// The names a comma-separated `value` of query parameter `param` lists, checked against
/// `allowed`: a set, so duplicates count once and order does not matter. An empty list, an
/// empty name or an unknown one is a 422 that names every unknown one and what is allowed.
pub fn names(param: &str, value: &str, allowed: &[&str]) -> ApiResult<BTreeSet<String>> {
    if value.is_empty() {
        return Err(ApiError::field(param, "must name at least one"));
    }
    let mut found = BTreeSet::new();
    let mut unknown = Vec::new();
    for name in value.split(',') {
        if name.is_empty() {
            return Err(ApiError::field(
                param,
                "has an empty name (a comma at an end, or two in a row)",
            ));
        }
        if allowed.contains(&name) {
            found.insert(name.to_owned());
        } else if !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    if unknown.is_empty() {
        return Ok(found);
    }
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{}`", n.escape_debug()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(ApiError::Validation(vec![FieldError::new(
        param,
        format!(
            "unknown: {}; allowed: {}",
            quoted(&unknown),
            quoted(allowed)
        ),
    )]))
}

/// The `fields` parameter of a resource that takes nothing else.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FieldsQuery {
    pub fields: Option<String>,
}

/// The members of a resource a read keeps: all (`None`, the representation as it always was),
/// or those `fields` named and the one that identifies the resource.
#[derive(Debug, Default)]
pub struct Selection {
    keep: Option<BTreeSet<String>>,
}

impl Selection {
    /// Checks `fields` against the resource's members (`allowed`); `always` is kept unasked.
    pub fn parse(fields: Option<&str>, allowed: &[String], always: &str) -> ApiResult<Self> {
        let Some(value) = fields else {
            return Ok(Self::default());
        };
        let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let mut keep = names("fields", value, &allowed)?;
        keep.insert(always.to_owned());
        Ok(Self { keep: Some(keep) })
    }

    /// `object`'s JSON narrowed to the selection.
    pub fn object(&self, object: Vec<u8>) -> ApiResult<Vec<u8>> {
        match &self.keep {
            None => Ok(object),
            Some(keep) => project(&object, |m| keep.contains(m)),
        }
    }

    /// A page's JSON with each item narrowed to the selection.
    pub fn page(&self, page: Vec<u8>) -> ApiResult<Vec<u8>> {
        match &self.keep {
            None => Ok(page),
            Some(keep) => project_page(&page, |m| keep.contains(m)),
        }
    }

    /// Marks a narrowed 200 as [`SPARSE_JSON`].
    pub fn mark(&self, response: &mut actix_web::HttpResponse) {
        if self.keep.is_some() && response.status().is_success() {
            response.headers_mut().insert(
                actix_web::http::header::CONTENT_TYPE,
                actix_web::http::header::HeaderValue::from_static(SPARSE_JSON),
            );
        }
    }
}

/// The top-level member names of a schema `T` describes as an object (a resource's fields).
pub fn schema_members<T: utoipa::PartialSchema>() -> Vec<String> {
    use utoipa::openapi::{RefOr, Schema};
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The query string as the response cache keys it: the names of `fields`, `formats` and
/// `include` sorted and deduplicated, so that every spelling of one selection shares one entry
/// (the responses are the same bytes: members come in the representation's own order).
/// Values with anything but lower-case letters, `_` and commas are left as sent.
pub fn canonical_query(query: &str) -> Cow<'_, str> {
    let shaped = query.split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(name, _)| NAME_LISTS.contains(&name))
    });
    if !shaped {
        return Cow::Borrowed(query);
    }
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value))
                if NAME_LISTS.contains(&name)
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b',') =>
            {
                let set: BTreeSet<&str> = value.split(',').collect();
                format!("{name}={}", set.into_iter().collect::<Vec<_>>().join(","))
            }
            _ => pair.to_owned(),
        })
        .collect();
    Cow::Owned(pairs.join("&"))
}

/// `object` (a JSON object) with only the members `keep` accepts, in their order, each copied
/// byte for byte.
pub fn project(object: &[u8], keep: impl Fn(&str) -> bool) -> ApiResult<Vec<u8>> {
    let members = members(object)?;
    let mut out = Vec::with_capacity(object.len());
    write_object(&mut out, members.iter().filter(|(k, _)| keep(k)));
    Ok(out)
}

/// `page` (`{"items": [objects…], …}`) with each item's members limited to those `keep`
/// accepts; the envelope (`next_cursor`) stays whole.
pub fn project_page(page: &[u8], keep: impl Fn(&str) -> bool) -> ApiResult<Vec<u8>> {
    map_items(page, |item, out| {
        write_object(out, members(item)?.iter().filter(|(k, _)| keep(k)));
        Ok(())
    })
}

/// `page` with each item (a JSON object) rewritten by `item`, which appends the new item to
/// the buffer it is given; the envelope stays whole.
pub fn map_items(
    page: &[u8],
    mut item: impl FnMut(&[u8], &mut Vec<u8>) -> ApiResult<()>,
) -> ApiResult<Vec<u8>> {
    let mut out = Vec::with_capacity(page.len());
    out.push(b'{');
    for (i, (key, value)) in members(page)?.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(&mut out, key);
        if key != "items" {
            out.extend_from_slice(value);
            continue;
        }
        out.push(b'[');
        for (j, element) in elements(value)?.into_iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            item(element, &mut out)?;
        }
        out.push(b']');
    }
    out.push(b'}');
    Ok(out)
}

/// Writes `{"key":value,…}` of these members.
pub fn write_object<'a>(out: &mut Vec<u8>, members: impl Iterator<Item = &'a (String, &'a [u8])>) {
    out.push(b'{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(out, key);
        out.extend_from_slice(value);
    }
    out.push(b'}');
}

fn write_key(out: &mut Vec<u8>, key: &str) {
    // A key is a string, which always serializes.
    let _ = serde_json::to_writer(&mut *out, key);
    out.push(b':');
}

fn malformed() -> ApiError {
    ApiError::internal("a representation to project is not a JSON object")
}

/// The members of a JSON object, in order: each key (unescaped) and its value's bytes.
pub fn members(object: &[u8]) -> ApiResult<Vec<(String, &[u8])>> {
    let mut out = Vec::new();
    let mut i = skip_ws(object, 0);
    if object.get(i) != Some(&b'{') {
        return Err(malformed());
    }
    i = skip_ws(object, i + 1);
    if object.get(i) == Some(&b'}') {
        return Ok(out);
    }
    loop {
        let key_end = string_end(object, i).ok_or_else(malformed)?;
        let key: String = serde_json::from_slice(&object[i..key_end]).map_err(|_| malformed())?;
        i = skip_ws(object, key_end);
        if object.get(i) != Some(&b':') {
            return Err(malformed());
        }
        let start = skip_ws(object, i + 1);
        let end = value_end(object, start).ok_or_else(malformed)?;
        out.push((key, &object[start..end]));
        i = skip_ws(object, end);
        match object.get(i) {
            Some(b',') => i = skip_ws(object, i + 1),
            Some(b'}') => return Ok(out),
            _ => return Err(malformed()),
        }
    }
}

/// The elements of a JSON array, in order.
fn elements(array: &[u8]) -> ApiResult<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut i = skip_ws(array, 0);
    if array.get(i) != Some(&b'[') {
        return Err(malformed());
    }
    i = skip_ws(array, i + 1);
    if array.get(i) == Some(&b']') {
        return Ok(out);
    }
    loop {
        let end = value_end(array, i).ok_or_else(malformed)?;
        out.push(&array[i..end]);
        i = skip_ws(array, end);
        match array.get(i) {
            Some(b',') => i = skip_ws(array, i + 1),
            Some(b']') => return Ok(out),
            _ => return Err(malformed()),
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index after the string that starts at `i` (a `"`).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The index after the value that starts at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: ApiResult<Vec<u8>>) -> String {
        String::from_utf8(bytes.unwrap()).unwrap()
    }

    #[test]
    fn projection_keeps_the_asked_members_byte_for_byte_in_their_order() {
        let object = br#"{"id":"a","title":"Say \"hi\", {then} [go]","n":-1.5e3,"x":null,"nested":{"id":"b","t":["]",{"}":1}]},"last":true}"#;
        let keep = |names: &'static [&'static str]| move |k: &str| names.contains(&k);
        assert_eq!(
            text(project(object, keep(&["last", "title", "id"]))),
            r#"{"id":"a","title":"Say \"hi\", {then} [go]","last":true}"#
        );
        assert_eq!(
            text(project(object, keep(&["nested", "n", "x"]))),
            r#"{"n":-1.5e3,"x":null,"nested":{"id":"b","t":["]",{"}":1}]}}"#
        );
        assert_eq!(text(project(object, keep(&[]))), "{}");
        assert_eq!(text(project(b"{}", keep(&["id"]))), "{}");
        // Whatever survives is still the same JSON.
        let whole: serde_json::Value = serde_json::from_slice(object).unwrap();
        let all: serde_json::Value =
            serde_json::from_slice(&project(object, |_| true).unwrap()).unwrap();
        assert_eq!(whole, all);
        assert!(project(b"[1]", |_| true).is_err());
        assert!(project(b"{\"a\":", |_| true).is_err());
    }

    #[test]
    fn pages_project_their_items_and_keep_the_envelope() {
        let page =
            br#"{"items":[{"id":"1","t":"a","u":2},{"id":"2","t":"b","u":3}],"next_cursor":"abc"}"#;
        assert_eq!(
            text(project_page(page, |k| k == "id" || k == "u")),
            r#"{"items":[{"id":"1","u":2},{"id":"2","u":3}],"next_cursor":"abc"}"#
        );
        assert_eq!(
            text(project_page(br#"{"items":[],"next_cursor":null}"#, |_| {
                true
            })),
            r#"{"items":[],"next_cursor":null}"#
        );
    }

    #[test]
    fn names_are_a_set_of_allowed_names() {
        let allowed = ["id", "title", "slug"];
        let set = names("fields", "title,slug,title", &allowed).unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["slug", "title"]);
        for bad in [
            "",
            "title,",
            ",title",
            "title,,slug",
            "Title",
            "title,nope,nope",
        ] {
            assert!(names("fields", bad, &allowed).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_spelling_of_a_selection_keys_the_same_entry() {
        assert_eq!(
            canonical_query("limit=5&fields=title,slug,title&formats=text,html"),
            "limit=5&fields=slug,title&formats=html,text"
        );
        assert_eq!(
            canonical_query("fields=slug,title&limit=5"),
            canonical_query("fields=title,slug&limit=5")
        );
        assert!(matches!(canonical_query("limit=5&tag=x"), Cow::Borrowed(_)));
        // Left as sent: never valid, so never stored.
        assert_eq!(canonical_query("fields=b%2Ca"), "fields=b%2Ca");
        assert_eq!(canonical_query("fields=b,,a"), "fields=,a,b");
    }
}
