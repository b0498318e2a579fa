//! The sitemaps' XML: the sitemaps.org protocol 0.9, and Google's news extension.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::feeds::escape_xml;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// A W3C date-time, to the millisecond (an edit a moment after publication still moves it).
pub fn w3c(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A sitemap listed in the index.
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
