//! Full-text search input: the reader's words, reduced to terms both backends treat alike.

/// The most terms a query may have.
pub const MAX_TERMS: usize = 16;

/// Splits a query into lower-case words (letters and digits); everything else separates them,
/// so no search syntax of either backend can be injected.
pub fn terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(MAX_TERMS)
        .collect()
}

/// An FTS5 query matching every term (each quoted, so it is a plain token).
pub fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_quotes_become_plain_words() {
        let t = terms(r#"Kursk "NEAR(x y)" OR -drones* AND:col ^title"#);
        assert_eq!(
            t,
            [
                "kursk", "near", "x", "y", "or", "drones", "and", "col", "title"
            ]
        );
        assert_eq!(fts5_query(&t[..2]), r#""kursk" "near""#);
        assert!(terms(" ,.;!? ").is_empty());
        assert_eq!(terms("Зеленський каже"), ["зеленський", "каже"]);
    }
}
