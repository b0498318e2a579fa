//! Links to the newsroom's own site (not the API): where an article, a tag, an author and a
//! section live there, built from `MASTHEAD_SITE_URL` and the path patterns
//! (`MASTHEAD_ARTICLE_PATH` and the like). Feeds and other outputs read by other software point
//! readers at these pages.

use chrono::{DateTime, Datelike, Utc};

/// The path patterns of the site's pages, checked at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SitePaths {
    /// `MASTHEAD_ARTICLE_PATH`: `{section}`, `{slug}`, `{id}`, `{yyyy}`, `{mm}`, `{dd}`.
    pub article: String,
    /// `MASTHEAD_TAG_PATH`: `{slug}`.
    pub tag: String,
    /// `MASTHEAD_AUTHOR_PATH`: `{slug}`.
    pub author: String,
    /// `MASTHEAD_SECTION_PATH`: `{slug}`.
    pub section: String,
}

impl Default for SitePaths {
    fn default() -> Self {
        Self {
            article: "/{section}/{slug}".to_owned(),
            tag: "/tag/{slug}".to_owned(),
            author: "/author/{slug}".to_owned(),
            section: "/{slug}".to_owned(),
        }
    }
}

/// The placeholders an article path may hold.
pub const ARTICLE_PLACEHOLDERS: &[&str] = &["section", "slug", "id", "yyyy", "mm", "dd"];
/// The placeholders a tag, author or section path may hold.
pub const SLUG_PLACEHOLDERS: &[&str] = &["slug"];

/// A pattern cut into literal text and placeholders.
enum Piece<'a> {
    Text(&'a str),
    Slot(&'a str),
}

fn pieces(pattern: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!("`{pattern}` has a `}}` without a `{{`"));
        }
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("`{pattern}` has a `{{` without a `}}`"))?;
        out.push(Piece::Slot(&after[..close]));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Checks a path pattern: it starts with `/`, its braces pair up, and each placeholder is one of
/// `allowed`; `required` must appear (else every page would have the same address).
pub fn check_pattern(pattern: &str, allowed: &[&str], required: &[&str]) -> Result<(), String> {
    if !pattern.starts_with('/') {
        return Err(format!("`{pattern}` must start with `/`"));
    }
    if pattern.contains(['?', '#', ' ']) || pattern.chars().any(char::is_control) {
        return Err(format!(
            "`{pattern}` must be a path only (no query, fragment, spaces or control characters)"
        ));
    }
    let mut seen = Vec::new();
    for piece in pieces(pattern)? {
        if let Piece::Slot(name) = piece {
            if !allowed.contains(&name) {
                let list: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
                return Err(format!(
                    "`{pattern}` has an unknown placeholder `{{{name}}}` (known: {})",
                    list.join(", ")
                ));
            }
            seen.push(name);
        }
    }
    if !required.is_empty() && !required.iter().any(|r| seen.contains(r)) {
        let list: Vec<String> = required.iter().map(|r| format!("`{{{r}}}`")).collect();
        return Err(format!(
            "`{pattern}` must contain {} to tell pages apart",
            list.join(" or ")
        ));
    }
    Ok(())
}

/// Percent-encodes one path segment: everything but RFC 3986's unreserved characters.
pub fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_encoded(&mut out, value);
    out
}

/// Appends `value` percent-encoded as [`encode_segment`] does.
fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
}

/// Appends `n` with at least `width` digits, zero-padded (as `{:0width$}`).
fn push_padded(out: &mut String, n: i64, width: usize) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n:0width$}");
}

/// What an article's address is made from.
pub struct ArticlePlace<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    /// The section's slug, if the article has one.
    pub section: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Builds absolute links to the site's pages.
#[derive(Clone, Debug)]
pub struct Links {
    base: String,
    paths: SitePaths,
    /// The article pattern cut into segments once, since a feed or a sitemap fills it for every
    /// article it lists.
    article: Vec<Segment>,
}

/// One `/`-separated segment of a path pattern, cut into its pieces.
#[derive(Clone, Debug)]
struct Segment {
    parts: Vec<Part>,
    /// The segment is one placeholder and nothing else: without a value it is left out.
    droppable: bool,
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    Section,
    Slug,
    Id,
    Year,
    Month,
    Day,
    /// A placeholder the checks would refuse: it has no value.
    Unknown,
}

/// Cuts an article pattern into segments (a piece that does not parse leaves its segment empty,
/// as [`Links::fill`] does).
fn compile_article(pattern: &str) -> Vec<Segment> {
    pattern
        .split('/')
        .skip(1)
        .map(|segment| Segment {
            parts: pieces(segment)
                .unwrap_or_default()
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(t) => Part::Text(t.to_owned()),
                    Piece::Slot("section") => Part::Section,
                    Piece::Slot("slug") => Part::Slug,
                    Piece::Slot("id") => Part::Id,
                    Piece::Slot("yyyy") => Part::Year,
                    Piece::Slot("mm") => Part::Month,
                    Piece::Slot("dd") => Part::Day,
                    Piece::Slot(_) => Part::Unknown,
                })
                .collect(),
            droppable: segment.starts_with('{') && segment.ends_with('}'),
        })
        .collect()
}

impl Links {
    /// Links under `base` (`https://www.newsroom.example`, no trailing slash needed).
    pub fn new(base: &str, paths: &SitePaths) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            paths: paths.clone(),
            article: compile_article(&paths.article),
        }
    }

    /// The site's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The site's home page.
    pub fn home(&self) -> String {
        format!("{}/", self.base)
    }

    /// Fills `pattern`; a placeholder without a value drops the path segment it is in (an
    /// article without a section under `/{section}/{slug}` is at `/{slug}`).
    fn fill(&self, pattern: &str, value: impl Fn(&str) -> Option<String>) -> String {
        let mut path = String::new();
        for segment in pattern.split('/').skip(1) {
            let mut filled = String::new();
            let mut empty = false;
            for piece in pieces(segment).unwrap_or_default() {
                match piece {
                    Piece::Text(t) => filled.push_str(t),
                    Piece::Slot(name) => match value(name) {
                        Some(v) if !v.is_empty() => filled.push_str(&encode_segment(&v)),
                        _ => empty = true,
                    },
                }
            }
            if empty && segment.starts_with('{') && segment.ends_with('}') {
                continue;
            }
            path.push('/');
            path.push_str(&filled);
        }
        if path.is_empty() {
            path.push('/');
        }
        format!("{}{path}", self.base)
    }

    /// An article's page.
    pub fn article(&self, at: &ArticlePlace<'_>) -> String {
        let mut out = String::with_capacity(self.base.len() + 96);
        out.push_str(&self.base);
        self.push_article_path(&mut out, at);
        out
    }

    /// Appends an article's path on the site (its page without the base), as [`Links::article`]
    /// fills the pattern: a placeholder without a value drops a segment that is only that
    /// placeholder, and leaves nothing in any other.
    pub fn push_article_path(&self, out: &mut String, at: &ArticlePlace<'_>) {
        let start = out.len();
        for segment in &self.article {
            let mark = out.len();
            out.push('/');
            let mut empty = false;
            for part in &segment.parts {
                let date = at.published_at;
                match part {
                    Part::Text(t) => out.push_str(t),
                    Part::Section => match at.section {
                        Some(v) if !v.is_empty() => push_encoded(out, v),
                        _ => empty = true,
                    },
                    Part::Slug if !at.slug.is_empty() => push_encoded(out, at.slug),
                    Part::Id if !at.id.is_empty() => push_encoded(out, at.id),
                    Part::Year if date.is_some() => {
                        push_padded(out, date.map_or(0, |d| i64::from(d.year())), 4);
                    }
                    Part::Month if date.is_some() => {
                        push_padded(out, date.map_or(0, |d| i64::from(d.month())), 2);
                    }
                    Part::Day if date.is_some() => {
                        push_padded(out, date.map_or(0, |d| i64::from(d.day())), 2);
                    }
                    Part::Slug
                    | Part::Id
                    | Part::Year
                    | Part::Month
                    | Part::Day
                    | Part::Unknown => {
                        empty = true;
                    }
                }
            }
            if empty && segment.droppable {
                out.truncate(mark);
            }
        }
        if out.len() == start {
            out.push('/');
        }
    }

    /// A tag's page.
    pub fn tag(&self, slug: &str) -> String {
        self.fill(&self.paths.tag, |_| Some(slug.to_owned()))
    }

    /// An author's page.
    pub fn author(&self, slug: &str) -> String {
        self.fill(&self.paths.author, |_| Some(slug.to_owned()))
    }

    /// A section's page.
    pub fn section(&self, slug: &str) -> String {
        self.fill(&self.paths.section, |_| Some(slug.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(paths: SitePaths) -> Links {
        Links::new("https://www.newsroom.example/", &paths)
    }

    #[test]
    fn default_patterns_build_the_usual_addresses() {
        let l = links(SitePaths::default());
        let at = ArticlePlace {
            id: "0190",
            slug: "harbour-dredged",
            section: Some("local-news"),
            published_at: None,
        };
        assert_eq!(
            l.article(&at),
            "https://www.newsroom.example/local-news/harbour-dredged"
        );
        let no_section = ArticlePlace {
            section: None,
            ..at
        };
        assert_eq!(
            l.article(&no_section),
            "https://www.newsroom.example/harbour-dredged"
        );
        assert_eq!(l.tag("ships"), "https://www.newsroom.example/tag/ships");
        assert_eq!(
            l.author("ada-lovelace"),
            "https://www.newsroom.example/author/ada-lovelace"
        );
        assert_eq!(l.section("sport"), "https://www.newsroom.example/sport");
        assert_eq!(l.home(), "https://www.newsroom.example/");
    }

    #[test]
    fn dates_and_ids_fill_in_and_segments_are_encoded() {
        let l = links(SitePaths {
            article: "/news/{yyyy}/{mm}/{dd}/{slug}-{id}.html".to_owned(),
            ..SitePaths::default()
        });
        let at = ArticlePlace {
            id: "abc",
            slug: "a b/c?d",
            section: None,
            published_at: "2026-03-04T05:06:07Z".parse().ok(),
        };
        assert_eq!(
            l.article(&at),
            "https://www.newsroom.example/news/2026/03/04/a%20b%2Fc%3Fd-abc.html"
        );
        assert_eq!(l.tag("café"), "https://www.newsroom.example/tag/caf%C3%A9");
    }

    #[test]
    fn the_compiled_article_pattern_fills_as_the_pattern_does() {
        let places = [
            ArticlePlace {
                id: "0190",
                slug: "harbour-dredged",
                section: Some("local news"),
                published_at: "2026-03-04T05:06:07Z".parse().ok(),
            },
            ArticlePlace {
                id: "x",
                slug: "",
                section: Some(""),
                published_at: None,
            },
            ArticlePlace {
                id: "",
                slug: "é/ü",
                section: None,
                published_at: "0999-12-31T23:59:59Z".parse().ok(),
            },
        ];
        for pattern in [
            "/{section}/{slug}",
            "/news/{yyyy}/{mm}/{dd}/{slug}-{id}.html",
            "/{section}",
            "/a/{id}",
            "/{yyyy}{mm}{dd}/{section}-{slug}/",
            "/{slug}//{id}",
            "/{category}/{slug}",
            "/",
        ] {
            let l = links(SitePaths {
                article: pattern.to_owned(),
                ..SitePaths::default()
            });
            for at in &places {
                let date = at.published_at;
                let want = l.fill(pattern, |name| match name {
                    "section" => at.section.map(str::to_owned),
                    "slug" => Some(at.slug.to_owned()),
                    "id" => Some(at.id.to_owned()),
                    "yyyy" => date.map(|d| format!("{:04}", d.year())),
                    "mm" => date.map(|d| format!("{:02}", d.month())),
                    "dd" => date.map(|d| format!("{:02}", d.day())),
                    _ => None,
                });
                assert_eq!(l.article(at), want, "{pattern}");
            }
        }
    }

    #[test]
    fn patterns_are_checked() {
        assert!(check_pattern("/{section}/{slug}", ARTICLE_PLACEHOLDERS, &["slug", "id"]).is_ok());
        assert!(check_pattern("/a/{id}", ARTICLE_PLACEHOLDERS, &["slug", "id"]).is_ok());
        let unknown =
            check_pattern("/{category}/{slug}", ARTICLE_PLACEHOLDERS, &["slug"]).unwrap_err();
        assert!(
            unknown.contains("unknown placeholder `{category}`"),
            "{unknown}"
        );
        assert!(check_pattern("tag/{slug}", SLUG_PLACEHOLDERS, &["slug"]).is_err());
        assert!(check_pattern("/tag/{slug", SLUG_PLACEHOLDERS, &["slug"]).is_err());
        assert!(check_pattern("/tag/slug}", SLUG_PLACEHOLDERS, &["slug"]).is_err());
        assert!(check_pattern("/tag/{slug}?x=1", SLUG_PLACEHOLDERS, &["slug"]).is_err());
        assert!(check_pattern("/tags", SLUG_PLACEHOLDERS, &["slug"]).is_err());
        assert!(check_pattern("/{section}", ARTICLE_PLACEHOLDERS, &["slug", "id"]).is_err());
    }
}
