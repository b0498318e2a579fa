//! The feed writer as it was before it wrote straight into one buffer, kept to check that the
//! new one writes the same bytes.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::feeds::Feed;

/// Whether XML 1.0 allows `c` in a document (its `Char` production): tab, line feed, carriage
/// return and everything from U+0020 up, less U+FFFE and U+FFFF (Rust's `char` holds no
/// surrogates).
fn xml_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// `text` made safe for XML content and attribute values: the five markup characters escaped,
/// the characters XML forbids (most C0 controls) left out.
fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if xml_allows(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// `text` without the characters XML forbids, for the JSON feed too (the same text in every
/// kind).
fn clean(text: &str) -> String {
    text.chars().filter(|c| xml_allows(*c)).collect()
}

fn rfc2822(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Milliseconds, so that two changes within one second still change the feed's bytes and ETag.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One element with escaped text.
fn element(out: &mut String, indent: &str, name: &str, text: &str) {
    let _ = writeln!(out, "{indent}<{name}>{}</{name}>", escape_xml(text));
}

/// The featured image as Media RSS (`media:content` with its credit and alt text).
fn media_content(out: &mut String, indent: &str, image: &super::FeedImage) {
    let kind = image
        .content_type
        .as_deref()
        .map(|t| format!(" type=\"{}\"", escape_xml(t)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{indent}<media:content url=\"{}\" medium=\"image\"{kind} width=\"{}\" height=\"{}\">",
        escape_xml(&image.url),
        image.width,
        image.height
    );
    if let Some(credit) = &image.credit {
        element(out, &format!("{indent}  "), "media:credit", credit);
    }
    if let Some(alt) = &image.alt_text {
        let _ = writeln!(
            out,
            "{indent}  <media:description type=\"plain\">{}</media:description>",
            escape_xml(alt)
        );
    }
    let _ = writeln!(out, "{indent}</media:content>");
}

/// The feed as RSS 2.0, with Atom's self link, Dublin Core creators and Media RSS images.
pub(super) fn rss(feed: &Feed) -> String {
    let mut out = String::with_capacity(2048 + feed.items.len() * 1536);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\">\n",
    );
    out.push_str("  <channel>\n");
    element(&mut out, "    ", "title", &feed.title);
    element(&mut out, "    ", "link", &feed.home);
    element(&mut out, "    ", "description", &feed.description);
    let _ = writeln!(
        out,
        "    <atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>",
        escape_xml(&feed.self_url)
    );
    element(&mut out, "    ", "lastBuildDate", &rfc2822(feed.updated));
    element(&mut out, "    ", "generator", "Masthead");
    for item in &feed.items {
        out.push_str("    <item>\n");
        element(&mut out, "      ", "title", &item.title);
        element(&mut out, "      ", "link", &item.link);
        let _ = writeln!(
            out,
            "      <guid isPermaLink=\"false\">{}</guid>",
            escape_xml(&item.id)
        );
        element(&mut out, "      ", "pubDate", &rfc2822(item.published));
        // RSS 2.0 has no update time of its own: Atom's says when the item last changed (an
        // edit, a correction) to readers that look for it.
        element(&mut out, "      ", "atom:updated", &rfc3339(item.updated));
        for author in &item.authors {
            element(&mut out, "      ", "dc:creator", &author.name);
        }
        for category in &item.categories {
            element(&mut out, "      ", "category", category);
        }
        element(&mut out, "      ", "description", &item.summary);
        if let Some(image) = &item.image {
            let _ = writeln!(
                out,
                "      <enclosure url=\"{}\" length=\"0\" type=\"{}\"/>",
                escape_xml(&image.url),
                escape_xml(image.content_type.as_deref().unwrap_or("image/jpeg"))
            );
            media_content(&mut out, "      ", image);
        }
        out.push_str("    </item>\n");
    }
    out.push_str("  </channel>\n</rss>\n");
    out
}

/// The feed as Atom 1.0, with Media RSS images.
pub(super) fn atom(feed: &Feed) -> String {
    let mut out = String::with_capacity(2048 + feed.items.len() * 1536);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\">\n",
    );
    element(&mut out, "  ", "id", &feed.self_url);
    element(&mut out, "  ", "title", &feed.title);
    element(&mut out, "  ", "subtitle", &feed.description);
    element(&mut out, "  ", "updated", &rfc3339(feed.updated));
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_xml(&feed.home)
    );
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape_xml(&feed.self_url)
    );
    // Atom asks for an author of the feed unless every entry has one.
    let _ = writeln!(
        out,
        "  <author><name>{}</name></author>",
        escape_xml(&feed.title)
    );
    element(&mut out, "  ", "generator", "Masthead");
    for item in &feed.items {
        out.push_str("  <entry>\n");
        element(&mut out, "    ", "id", &format!("urn:uuid:{}", item.id));
        element(&mut out, "    ", "title", &item.title);
        let _ = writeln!(
            out,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape_xml(&item.link)
        );
        element(&mut out, "    ", "published", &rfc3339(item.published));
        element(&mut out, "    ", "updated", &rfc3339(item.updated));
        for author in &item.authors {
            let uri = author
                .url
                .as_deref()
                .map(|u| format!("<uri>{}</uri>", escape_xml(u)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    <author><name>{}</name>{uri}</author>",
                escape_xml(&author.name)
            );
        }
        for category in &item.categories {
            let _ = writeln!(out, "    <category term=\"{}\"/>", escape_xml(category));
        }
        let _ = writeln!(
            out,
            "    <summary type=\"text\">{}</summary>",
            escape_xml(&item.summary)
        );
        if let Some(image) = &item.image {
            let kind = image
                .content_type
                .as_deref()
                .map(|t| format!(" type=\"{}\"", escape_xml(t)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    <link rel=\"enclosure\"{kind} href=\"{}\"/>",
                escape_xml(&image.url)
            );
            media_content(&mut out, "    ", image);
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// The feed as JSON Feed 1.1. The image's credit and alt text, which the format has no field
/// for, are in the item's `_masthead` extension object.
pub(super) fn json(feed: &Feed) -> Vec<u8> {
    let items: Vec<Value> = feed
        .items
        .iter()
        .map(|item| {
            let mut out = Map::new();
            out.insert("id".into(), json!(item.id));
            out.insert("url".into(), json!(item.link));
            out.insert("title".into(), json!(clean(&item.title)));
            out.insert("summary".into(), json!(item.summary));
            out.insert("content_text".into(), json!(item.summary));
            out.insert("date_published".into(), json!(rfc3339(item.published)));
            out.insert("date_modified".into(), json!(rfc3339(item.updated)));
            if !item.authors.is_empty() {
                let authors: Vec<Value> = item
                    .authors
                    .iter()
                    .map(|a| match &a.url {
                        Some(url) => json!({ "name": clean(&a.name), "url": url }),
                        None => json!({ "name": clean(&a.name) }),
                    })
                    .collect();
                out.insert("authors".into(), Value::Array(authors));
            }
            if !item.categories.is_empty() {
                let tags: Vec<String> = item.categories.iter().map(|c| clean(c)).collect();
                out.insert("tags".into(), json!(tags));
            }
            out.insert("language".into(), json!(item.language));
            if let Some(image) = &item.image {
                out.insert("image".into(), json!(image.url));
                let mut extension = Map::new();
                if let Some(credit) = &image.credit {
                    extension.insert("image_credit".into(), json!(clean(credit)));
                }
                if let Some(alt) = &image.alt_text {
                    extension.insert("image_alt_text".into(), json!(clean(alt)));
                }
                if !extension.is_empty() {
                    out.insert("_masthead".into(), Value::Object(extension));
                }
            }
            Value::Object(out)
        })
        .collect();
    let doc = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": clean(&feed.title),
        "home_page_url": feed.home,
        "feed_url": feed.self_url,
        "description": clean(&feed.description),
        "items": items,
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}
