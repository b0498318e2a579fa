//! The sitemaps' XML: the sitemaps.org protocol 0.9, and Google's news extension.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDateTime, SecondsFormat, Timelike, Utc};

use crate::feeds::escape_xml;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// A W3C date-time, to the millisecond (an edit a moment after publication still moves it).
pub fn w3c(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Appends [`w3c`] of `at` (UTC), written digit by digit for the years 0 to 9999.
pub fn push_w3c(out: &mut String, at: NaiveDateTime) {
    let (year, nanos) = (at.year(), at.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        out.push_str(&w3c(at.and_utc()));
        return;
    }
    let mut buf = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year.unsigned_abs());
    put(5, 2, at.month());
    put(8, 2, at.day());
    put(11, 2, at.hour());
    put(14, 2, at.minute());
    put(17, 2, at.second());
    put(20, 3, nanos / 1_000_000);
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// Appends `text` as [`escape_xml`] writes it.
pub fn push_escaped(out: &mut String, text: &str) {
    let plain = text
        .bytes()
        .all(|b| b >= b' ' && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF));
    if plain {
        out.push_str(text);
    } else {
        out.push_str(&escape_xml(text));
    }
}

/// What a read puts the base URL after: every `<loc>`'s text starts with it.
pub const LOC: &str = "<loc>";

/// `body` with `base` (escaped) after each `<loc>`: a stored sitemap as a request sees it.
/// Markup in text is escaped, so `<loc>` in a body is always the element.
pub fn with_base(body: &str, base: &str) -> String {
    // A SIMD substring search, built once: the index's every read scans about 150 KB for
    // `<loc>`, and `str::find` was most of its cost (`bench/README.md`).
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(LOC));
    let mut escaped = String::new();
    push_escaped(&mut escaped, base);
    let ends: Vec<usize> = FINDER
        .find_iter(body.as_bytes())
        .map(|at| at + LOC.len())
        .collect();
    let mut out = String::with_capacity(body.len() + ends.len() * escaped.len());
    let mut from = 0;
    for end in ends {
        // `<loc>` is ASCII, so each end is a char boundary.
        out.push_str(&body[from..end]);
        out.push_str(&escaped);
        from = end;
    }
    out.push_str(&body[from..]);
    out
}

/// The sitemap index without the API's base: `(chunk name, lastmod)`, after the pages' sitemap.
pub fn index_body(chunks: &[(String, NaiveDateTime)]) -> String {
    let mut out = String::with_capacity(160 + chunks.len() * 110);
    out.push_str(HEAD);
    out.push_str("<sitemapindex xmlns=\"");
    out.push_str(SITEMAP_NS);
    out.push_str("\">\n<sitemap><loc>/v1/sitemaps/pages.xml</loc></sitemap>\n");
    for (name, lastmod) in chunks {
        out.push_str("<sitemap><loc>/v1/sitemaps/articles/");
        push_escaped(&mut out, name);
        out.push_str(".xml</loc><lastmod>");
        push_w3c(&mut out, *lastmod);
        out.push_str("</lastmod></sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

/// A urlset without the site's base: each URL's path on the site (unescaped) and its
/// `lastmod`.
pub fn urlset_body(urls: &[(String, NaiveDateTime)]) -> String {
    let mut out = String::with_capacity(96 + urls.len() * 120);
    out.push_str(HEAD);
    out.push_str("<urlset xmlns=\"");
    out.push_str(SITEMAP_NS);
    out.push_str("\">\n");
    for (path, lastmod) in urls {
        out.push_str("<url><loc>");
        push_escaped(&mut out, path);
        out.push_str("</loc><lastmod>");
        push_w3c(&mut out, *lastmod);
        out.push_str("</lastmod></url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// A sitemap listed in the index (the reference the stored index is checked against).
#[cfg(test)]
pub struct IndexEntry {
    pub loc: String,
    pub lastmod: Option<DateTime<Utc>>,
}

/// A page in a sitemap.
pub struct UrlEntry {
    pub loc: String,
    pub lastmod: Option<DateTime<Utc>>,
}

/// An article in the news sitemap.
pub struct NewsUrl {
    pub loc: String,
    pub publication: String,
    pub language: String,
    pub published: DateTime<Utc>,
    pub title: String,
}

#[cfg(test)]
pub fn index(entries: &[IndexEntry]) -> String {
    let mut out = format!("{HEAD}<sitemapindex xmlns=\"{SITEMAP_NS}\">\n");
    for e in entries {
        let _ = write!(out, "<sitemap><loc>{}</loc>", escape_xml(&e.loc));
        if let Some(at) = e.lastmod {
            let _ = write!(out, "<lastmod>{}</lastmod>", w3c(at));
        }
        out.push_str("</sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

pub fn urlset(entries: &[UrlEntry]) -> String {
    let mut out = String::with_capacity(64 + entries.len() * 140);
    let _ = writeln!(out, "{HEAD}<urlset xmlns=\"{SITEMAP_NS}\">");
    for e in entries {
        let _ = write!(out, "<url><loc>{}</loc>", escape_xml(&e.loc));
        if let Some(at) = e.lastmod {
            let _ = write!(out, "<lastmod>{}</lastmod>", w3c(at));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

pub fn news(entries: &[NewsUrl]) -> String {
    let mut out = format!("{HEAD}<urlset xmlns=\"{SITEMAP_NS}\" xmlns:news=\"{NEWS_NS}\">\n");
    for e in entries {
        let _ = writeln!(
            out,
            "<url><loc>{}</loc><news:news><news:publication><news:name>{}</news:name>\
             <news:language>{}</news:language></news:publication>\
             <news:publication_date>{}</news:publication_date><news:title>{}</news:title>\
             </news:news></url>",
            escape_xml(&e.loc),
            escape_xml(&e.publication),
            escape_xml(&e.language),
            w3c(e.published),
            escape_xml(&e.title),
        );
    }
    out.push_str("</urlset>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("time")
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for t in [
            "2026-12-05 10:00:00",
            "2026-01-02 03:04:05.006",
            "2026-01-02 03:04:05.999999999",
            "0001-01-01 00:00:00.1",
            "9999-12-31 23:59:59.5",
        ]
        .map(at)
        .into_iter()
        .chain(
            chrono::NaiveDate::from_ymd_opt(10_000, 1, 1)
                .map(|d| d.and_time(chrono::NaiveTime::MIN)),
        ) {
            let mut out = String::new();
            push_w3c(&mut out, t);
            assert_eq!(out, w3c(t.and_utc()), "{t}");
        }
    }

    #[test]
    fn text_is_escaped_as_feeds_escape_it() {
        for text in [
            "/plain/path",
            "/a&b<c>\"'",
            "/caf\u{e9}",
            "a\u{1}b\tc",
            "\u{FFFE}x\u{FFFF}",
        ] {
            let mut out = String::new();
            push_escaped(&mut out, text);
            assert_eq!(out, escape_xml(text), "{text:?}");
        }
    }

    #[test]
    fn bodies_with_a_base_are_what_rendering_with_it_makes() {
        let lastmod = at("2026-12-05 10:00:00.25");
        let base = "http://h.example:8&1";
        let urls = [("/a/b".to_owned(), lastmod), ("/c&d".to_owned(), lastmod)];
        let whole: Vec<UrlEntry> = urls
            .iter()
            .map(|(path, at)| UrlEntry {
                loc: format!("{base}{path}"),
                lastmod: Some(at.and_utc()),
            })
            .collect();
        assert_eq!(with_base(&urlset_body(&urls), base), urlset(&whole));
        let chunks = [
            ("2026-12-05".to_owned(), lastmod),
            ("2026-12-04-2".to_owned(), lastmod),
        ];
        let mut entries = vec![IndexEntry {
            loc: format!("{base}/v1/sitemaps/pages.xml"),
            lastmod: None,
        }];
        entries.extend(chunks.iter().map(|(name, at)| IndexEntry {
            loc: format!("{base}/v1/sitemaps/articles/{name}.xml"),
            lastmod: Some(at.and_utc()),
        }));
        assert_eq!(with_base(&index_body(&chunks), base), index(&entries));
    }
}
