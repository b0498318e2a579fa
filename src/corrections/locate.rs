//! Finding a reader's quote in the article, tolerant of the ways copied text drifts: runs of
//! whitespace and line breaks, typographic quotes and dashes, and letter case.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a quote was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteLocation {
    /// `title`, `standfirst` or `body` (the body's plain text).
    #[schema(value_type = crate::openapi::closed::QuoteField)]
    pub field: String,
    /// The offset of the first character, in characters of that field's text.
    pub start: usize,
    /// The offset just past the last character.
    pub end: usize,
}

/// One character as the matcher sees it, or `None` for whitespace (runs collapse to one).
fn fold(c: char) -> Option<char> {
    if c.is_whitespace() {
        return None;
    }
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{00A0}' => ' ',
        other => other.to_lowercase().next().unwrap_or(other),
    })
}

/// `text` folded, with each folded character's offset (in characters) in the original.
fn normalize(text: &str) -> (Vec<char>, Vec<usize>) {
    let mut chars = Vec::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len());
    let mut pending_space = false;
    for (i, c) in text.chars().enumerate() {
        match fold(c) {
            None => pending_space = !chars.is_empty(),
            Some(f) => {
                if pending_space {
                    chars.push(' ');
                    offsets.push(i);
                    pending_space = false;
                }
                chars.push(f);
                offsets.push(i);
            }
        }
    }
    (chars, offsets)
}

/// Finds `quote` in the fields, in order; `None` when it is in none of them.
pub fn locate(quote: &str, fields: &[(&str, &str)]) -> Option<QuoteLocation> {
    let (needle, _) = normalize(quote);
    if needle.is_empty() {
        return None;
    }
    for (name, text) in fields {
        let (hay, offsets) = normalize(text);
        if hay.len() < needle.len() {
            continue;
        }
        if let Some(at) = hay
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
        {
            let start = offsets.get(at).copied()?;
            let last = offsets.get(at + needle.len() - 1).copied()?;
            return Some(QuoteLocation {
                field: (*name).to_owned(),
                start,
                end: last + 1,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "The mayor said: \u{201C}We will   rebuild\nthe bridge by spring.\u{201D}\n\nEngineers\u{2014}two of them\u{2014}disagreed.";

    #[test]
    fn whitespace_quotes_dashes_and_case_do_not_matter() {
        let found = locate(
            "\"we will rebuild the bridge",
            &[("title", "Bridge"), ("body", BODY)],
        )
        .unwrap();
        assert_eq!(found.field, "body");
        let original: String = BODY
            .chars()
            .skip(found.start)
            .take(found.end - found.start)
            .collect();
        assert_eq!(original, "\u{201C}We will   rebuild\nthe bridge");
        let dash = locate("Engineers-two of them-disagreed", &[("body", BODY)]).unwrap();
        let original: String = BODY
            .chars()
            .skip(dash.start)
            .take(dash.end - dash.start)
            .collect();
        assert_eq!(original, "Engineers\u{2014}two of them\u{2014}disagreed");
    }

    #[test]
    fn absent_or_empty_quotes_are_not_found() {
        assert_eq!(locate("rebuild the tunnel", &[("body", BODY)]), None);
        assert_eq!(locate("   ", &[("body", BODY)]), None);
        assert_eq!(
            locate("a much longer quote than any field here", &[("title", "x")]),
            None
        );
    }

    #[test]
    fn fields_are_searched_in_order() {
        let found = locate("bridge", &[("title", "Bridge repairs"), ("body", BODY)]).unwrap();
        assert_eq!(
            (found.field.as_str(), found.start, found.end),
            ("title", 0, 6)
        );
    }
}
