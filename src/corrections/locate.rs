//! Finding a reader's quote in the article, tolerant of the ways copied text drifts: runs of
//! whitespace and line breaks, typographic quotes and dashes, letter case, and the dash that
//! joins a quote to its attribution in the plain text but not on the page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a quote was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteLocation {
    /// `title`, `standfirst`, `body` (the body's plain text) or `caption` (one the article shows).
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

/// `text` folded, with each folded character's offset (in characters) in the original. A dash
/// standing alone between spaces folds to a space: the plain text writes a quote and its
/// attribution as `words — who`, while a selection across them on the page has a line break.
fn normalize(text: &str) -> (Vec<char>, Vec<usize>) {
    let mut chars = Vec::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len());
    let mut pending_space = false;
    let source: Vec<char> = text.chars().collect();
    let spaced = |i: usize| source.get(i).is_none_or(|c| c.is_whitespace());
    for (i, &c) in source.iter().enumerate() {
        let folded = fold(c).filter(|f| !(*f == '-' && (i == 0 || spaced(i - 1)) && spaced(i + 1)));
        match folded {
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
    fn a_selection_across_a_quote_and_its_attribution_is_found() {
        let text = "Intro.\n\nWe stay until the work is done. \u{2014} A volunteer";
        for selected in [
            "work is done.\nA volunteer",
            "work is done. \u{2014} A volunteer",
            "work is done.\n\u{2014} A volunteer",
        ] {
            let found = locate(selected, &[("body", text)]).unwrap();
            let original: String = text
                .chars()
                .skip(found.start)
                .take(found.end - found.start)
                .collect();
            assert_eq!(
                original, "work is done. \u{2014} A volunteer",
                "{selected:?}"
            );
        }
        // A dash inside words still has to match.
        assert!(locate("Engineers two", &[("body", BODY)]).is_none());
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
