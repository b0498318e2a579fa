//! Writing a [`Feed`] as RSS 2.0, Atom 1.0 and JSON Feed 1.1. The XML is written by hand
//! through one escaper ([`push_escaped`]) that every piece of text passes through, straight into
//! the response's buffer: no string per element, no date formatting strings parsed per item.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

use super::{Feed, FeedImage, MAX_EXCERPT_CHARS};

/// What the escaper does with the byte at `i` of `bytes`, by XML 1.0's `Char` production (tab,
/// line feed, carriage return and everything from U+0020 up, less U+FFFE and U+FFFF): `None` keeps it; `Some((text, len))`
/// replaces the `len` bytes from `i` with `text` (empty: left out). `markup` escapes the five
/// markup characters too. Multi-byte characters start with a byte of 0xC0 or more, so `i` is a
/// character boundary whenever something is replaced.
#[inline]
fn special(bytes: &[u8], i: usize, markup: bool) -> Option<(&'static str, usize)> {
    match bytes[i] {
        b'&' if markup => Some(("&amp;", 1)),
        b'<' if markup => Some(("&lt;", 1)),
        b'>' if markup => Some(("&gt;", 1)),
        b'"' if markup => Some(("&quot;", 1)),
        b'\'' if markup => Some(("&apos;", 1)),
        b'\t' | b'\n' | b'\r' => None,
        0..=0x1F => Some(("", 1)),
        // U+FFFE and U+FFFF are EF BF BE and EF BF BF.
        0xEF if bytes.get(i + 1) == Some(&0xBF)
            && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
        {
            Some(("", 3))
        }
        _ => None,
    }
}

/// Which bytes [`special`] may replace: `MARKUP` for the five markup characters, `FORBIDDEN` for
/// the control characters XML leaves out and for 0xEF (the first byte of U+FFFE and U+FFFF, and
/// of other characters that are kept). Every other byte is copied as it is, so the escaper skips
/// runs of them with one table lookup per byte.
const MARKUP: u8 = 1;
const FORBIDDEN: u8 = 2;
const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        if b != b'\t' as usize && b != b'\n' as usize && b != b'\r' as usize {
            table[b] = FORBIDDEN;
        }
        b += 1;
    }
    table[0xEF] = FORBIDDEN;
    table[b'&' as usize] = MARKUP;
    table[b'<' as usize] = MARKUP;
    table[b'>' as usize] = MARKUP;
    table[b'"' as usize] = MARKUP;
    table[b'\'' as usize] = MARKUP;
    table
};

/// The index of the first byte from `from` that [`special`] must look at (`bytes.len()` if none).
#[inline]
fn next_special(bytes: &[u8], from: usize, markup: bool) -> usize {
    let mask = if markup {
        MARKUP | FORBIDDEN
    } else {
        FORBIDDEN
    };
    bytes[from..]
        .iter()
        .position(|&b| CLASSES[usize::from(b)] & mask != 0)
        .map_or(bytes.len(), |at| from + at)
}

/// Appends `text` to `out` with the markup characters escaped (when `markup`) and the characters
/// XML forbids left out.
fn push_filtered(out: &mut String, text: &str, markup: bool) {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut i = next_special(bytes, 0, markup);
    while i < bytes.len() {
        match special(bytes, i, markup) {
            None => i += 1,
            Some((with, len)) => {
                out.push_str(&text[from..i]);
                out.push_str(with);
                i += len;
                from = i;
            }
        }
        i = next_special(bytes, i, markup);
    }
    out.push_str(&text[from..]);
}

/// Appends `text` made safe for XML content and attribute values (see [`escape_xml`]).
pub fn push_escaped(out: &mut String, text: &str) {
    push_filtered(out, text, true);
}

/// `text` made safe for XML content and attribute values: the five markup characters escaped,
/// the characters XML forbids (most C0 controls) left out.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// `text` without the characters XML forbids, for the JSON feed too (the same text in every
/// kind); borrowed when it has none.
pub(super) fn clean(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut i = next_special(bytes, 0, false);
    while i < bytes.len() && special(bytes, i, false).is_none() {
        i = next_special(bytes, i + 1, false);
    }
    if i == bytes.len() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    push_filtered(&mut out, text, false);
    Cow::Owned(out)
}

/// `text` cut to [`MAX_EXCERPT_CHARS`] characters: when longer, its first characters (on a
/// character boundary, trailing space dropped) and an ellipsis, 500 in all.
pub fn excerpt(text: &str) -> String {
    let text = clean(text);
    match text.char_indices().nth(MAX_EXCERPT_CHARS) {
        None => text.into_owned(),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(MAX_EXCERPT_CHARS - 1)
                .map_or(text.len(), |(at, _)| at);
            let mut out = String::with_capacity(end + 3);
            out.push_str(text[..end].trim_end());
            out.push('…');
            out
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Appends `n` with at least two digits.
fn push_2(out: &mut String, n: u32) {
    out.push(char::from(b'0' + u8::try_from(n / 10 % 10).unwrap_or(0)));
    out.push(char::from(b'0' + u8::try_from(n % 10).unwrap_or(0)));
}

/// `at` as RFC 2822 (`Sat, 05 Dec 2026 16:45:00 +0000`), as chrono's
/// `%a, %d %b %Y %H:%M:%S +0000` writes it.
fn push_rfc2822(out: &mut String, at: DateTime<Utc>) {
    let year = at.year();
    if !(0..=9999).contains(&year) {
        let _ = write!(out, "{}", at.format("%a, %d %b %Y %H:%M:%S +0000"));
        return;
    }
    out.push_str(WEEKDAYS[at.weekday().num_days_from_monday() as usize]);
    out.push_str(", ");
    push_2(out, at.day());
    out.push(' ');
    out.push_str(MONTHS[at.month0() as usize]);
    let _ = write!(out, " {year:04} ");
    push_2(out, at.hour());
    out.push(':');
    push_2(out, at.minute());
    out.push(':');
    push_2(out, at.second());
    out.push_str(" +0000");
}

/// `at` as RFC 3339 in UTC with milliseconds (`2026-12-05T16:45:00.123Z`), so that two changes
/// within one second still change the feed's bytes and ETag.
fn push_rfc3339(out: &mut String, at: DateTime<Utc>) {
    let year = at.year();
    // A leap second's nanoseconds run past a billion; chrono writes those its own way.
    if !(0..=9999).contains(&year) || at.nanosecond() >= 1_000_000_000 {
        out.push_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true));
        return;
    }
    let _ = write!(out, "{year:04}-");
    push_2(out, at.month());
    out.push('-');
    push_2(out, at.day());
    out.push('T');
    push_2(out, at.hour());
    out.push(':');
    push_2(out, at.minute());
    out.push(':');
    push_2(out, at.second());
    let _ = write!(out, ".{:03}Z", at.nanosecond() / 1_000_000);
}

/// One element with escaped text: `{indent}<{name}>{text}</{name}>\n`.
fn element(out: &mut String, indent: &str, name: &str, text: &str) {
    open(out, indent, name);
    push_escaped(out, text);
    close(out, name);
}

fn open(out: &mut String, indent: &str, name: &str) {
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// Appends ` name="value"` with the value escaped.
fn attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    push_escaped(out, value);
    out.push('"');
}

/// The featured image as Media RSS (`media:content` with its credit and alt text).
fn media_content(out: &mut String, indent: &str, image: &FeedImage) {
    out.push_str(indent);
    out.push_str("<media:content");
    attribute(out, "url", &image.url);
    out.push_str(" medium=\"image\"");
    if let Some(kind) = image.content_type.as_deref() {
        attribute(out, "type", kind);
    }
    let _ = writeln!(
        out,
        " width=\"{}\" height=\"{}\">",
        image.width, image.height
    );
    if let Some(credit) = &image.credit {
        out.push_str(indent);
        element(out, "  ", "media:credit", credit);
    }
    if let Some(alt) = &image.alt_text {
        out.push_str(indent);
        out.push_str("  <media:description type=\"plain\">");
        push_escaped(out, alt);
        close(out, "media:description");
    }
    out.push_str(indent);
    out.push_str("</media:content>\n");
}

/// A first guess at a feed's size, so that its buffer is seldom grown.
fn capacity(feed: &Feed) -> usize {
    2048 + feed.items.len() * 1536
}

/// The feed as RSS 2.0, with Atom's self link, Dublin Core creators and Media RSS images.
pub fn rss(feed: &Feed) -> String {
    let mut out = String::with_capacity(capacity(feed));
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
    out.push_str("    <atom:link");
    attribute(&mut out, "href", &feed.self_url);
    out.push_str(" rel=\"self\" type=\"application/rss+xml\"/>\n");
    open(&mut out, "    ", "lastBuildDate");
    push_rfc2822(&mut out, feed.updated);
    close(&mut out, "lastBuildDate");
    element(&mut out, "    ", "generator", "Masthead");
    for item in &feed.items {
        out.push_str("    <item>\n");
        element(&mut out, "      ", "title", &item.title);
        element(&mut out, "      ", "link", &item.link);
        out.push_str("      <guid isPermaLink=\"false\">");
        push_escaped(&mut out, &item.id);
        close(&mut out, "guid");
        open(&mut out, "      ", "pubDate");
        push_rfc2822(&mut out, item.published);
        close(&mut out, "pubDate");
        // RSS 2.0 has no update time of its own: Atom's says when the item last changed (an
        // edit, a correction) to readers that look for it.
        open(&mut out, "      ", "atom:updated");
        push_rfc3339(&mut out, item.updated);
        close(&mut out, "atom:updated");
        for author in &item.authors {
            element(&mut out, "      ", "dc:creator", &author.name);
        }
        for category in &item.categories {
            element(&mut out, "      ", "category", category);
        }
        element(&mut out, "      ", "description", &item.summary);
        if let Some(image) = &item.image {
            out.push_str("      <enclosure");
            attribute(&mut out, "url", &image.url);
            out.push_str(" length=\"0\"");
            attribute(
                &mut out,
                "type",
                image.content_type.as_deref().unwrap_or("image/jpeg"),
            );
            out.push_str("/>\n");
            media_content(&mut out, "      ", image);
        }
        out.push_str("    </item>\n");
    }
    out.push_str("  </channel>\n</rss>\n");
    out
}

/// The feed as Atom 1.0, with Media RSS images.
pub fn atom(feed: &Feed) -> String {
    let mut out = String::with_capacity(capacity(feed));
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\">\n",
    );
    element(&mut out, "  ", "id", &feed.self_url);
    element(&mut out, "  ", "title", &feed.title);
    element(&mut out, "  ", "subtitle", &feed.description);
    open(&mut out, "  ", "updated");
    push_rfc3339(&mut out, feed.updated);
    close(&mut out, "updated");
    out.push_str("  <link rel=\"alternate\" type=\"text/html\"");
    attribute(&mut out, "href", &feed.home);
    out.push_str("/>\n");
    out.push_str("  <link rel=\"self\" type=\"application/atom+xml\"");
    attribute(&mut out, "href", &feed.self_url);
    out.push_str("/>\n");
    // Atom asks for an author of the feed unless every entry has one.
    out.push_str("  <author><name>");
    push_escaped(&mut out, &feed.title);
    out.push_str("</name></author>\n");
    element(&mut out, "  ", "generator", "Masthead");
    for item in &feed.items {
        out.push_str("  <entry>\n");
        out.push_str("    <id>urn:uuid:");
        push_escaped(&mut out, &item.id);
        close(&mut out, "id");
        element(&mut out, "    ", "title", &item.title);
        out.push_str("    <link rel=\"alternate\" type=\"text/html\"");
        attribute(&mut out, "href", &item.link);
        out.push_str("/>\n");
        open(&mut out, "    ", "published");
        push_rfc3339(&mut out, item.published);
        close(&mut out, "published");
        open(&mut out, "    ", "updated");
        push_rfc3339(&mut out, item.updated);
        close(&mut out, "updated");
        for author in &item.authors {
            out.push_str("    <author><name>");
            push_escaped(&mut out, &author.name);
            out.push_str("</name>");
            if let Some(url) = author.url.as_deref() {
                out.push_str("<uri>");
                push_escaped(&mut out, url);
                out.push_str("</uri>");
            }
            out.push_str("</author>\n");
        }
        for category in &item.categories {
            out.push_str("    <category");
            attribute(&mut out, "term", category);
            out.push_str("/>\n");
        }
        out.push_str("    <summary type=\"text\">");
        push_escaped(&mut out, &item.summary);
        close(&mut out, "summary");
        if let Some(image) = &item.image {
            out.push_str("    <link rel=\"enclosure\"");
            if let Some(kind) = image.content_type.as_deref() {
                attribute(&mut out, "type", kind);
            }
            attribute(&mut out, "href", &image.url);
            out.push_str("/>\n");
            media_content(&mut out, "    ", image);
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// Writes JSON objects member by member, in the order given, into one buffer.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        push_json_str(self.out, key);
        self.out.push(b':');
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        push_json_str(self.out, value);
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it.
fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Appends `at` as a JSON string in RFC 3339 (see [`push_rfc3339`]).
fn push_json_time(out: &mut Vec<u8>, scratch: &mut String, at: DateTime<Utc>) {
    scratch.clear();
    push_rfc3339(scratch, at);
    out.push(b'"');
    out.extend_from_slice(scratch.as_bytes());
    out.push(b'"');
}

/// The feed as JSON Feed 1.1. The image's credit and alt text, which the format has no field
/// for, are in the item's `_masthead` extension object. Members are written in the order of
/// their names, as a `serde_json` map writes them.
pub fn json(feed: &Feed) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity(feed));
    let mut scratch = String::with_capacity(32);
    let mut doc = Object::open(&mut out);
    doc.str("description", &clean(&feed.description));
    doc.str("feed_url", &feed.self_url);
    doc.str("home_page_url", &feed.home);
    doc.key("items");
    doc.out.push(b'[');
    for (n, item) in feed.items.iter().enumerate() {
        if n > 0 {
            doc.out.push(b',');
        }
        let mut entry = Object::open(doc.out);
        if let Some(image) = &item.image
            && (image.credit.is_some() || image.alt_text.is_some())
        {
            entry.key("_masthead");
            let mut extension = Object::open(entry.out);
            if let Some(alt) = &image.alt_text {
                extension.str("image_alt_text", &clean(alt));
            }
            if let Some(credit) = &image.credit {
                extension.str("image_credit", &clean(credit));
            }
            extension.close();
        }
        if !item.authors.is_empty() {
            entry.key("authors");
            entry.out.push(b'[');
            for (i, author) in item.authors.iter().enumerate() {
                if i > 0 {
                    entry.out.push(b',');
                }
                let mut one = Object::open(entry.out);
                one.str("name", &clean(&author.name));
                if let Some(url) = &author.url {
                    one.str("url", url);
                }
                one.close();
            }
            entry.out.push(b']');
        }
        entry.str("content_text", &item.summary);
        entry.key("date_modified");
        push_json_time(entry.out, &mut scratch, item.updated);
        entry.key("date_published");
        push_json_time(entry.out, &mut scratch, item.published);
        entry.str("id", &item.id);
        if let Some(image) = &item.image {
            entry.str("image", &image.url);
        }
        entry.str("language", &item.language);
        entry.str("summary", &item.summary);
        if !item.categories.is_empty() {
            entry.key("tags");
            entry.out.push(b'[');
            for (i, category) in item.categories.iter().enumerate() {
                if i > 0 {
                    entry.out.push(b',');
                }
                push_json_str(entry.out, &clean(category));
            }
            entry.out.push(b']');
        }
        entry.str("title", &clean(&item.title));
        entry.str("url", &item.link);
        entry.close();
    }
    doc.out.push(b']');
    doc.str("title", &clean(&feed.title));
    doc.str("version", "https://jsonfeed.org/version/1.1");
    doc.close();
    out
}

#[cfg(test)]
#[path = "render_reference.rs"]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::{FeedAuthor, Item};

    #[test]
    fn escaping_covers_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape_xml("<script>a & b]]>\"'\u{0}\u{8}\t\u{FFFE}é"),
            "&lt;script&gt;a &amp; b]]&gt;&quot;&apos;\té"
        );
        assert_eq!(clean("a\u{1}b\u{FFFF}c\u{FFFD}\n"), "abc\u{FFFD}\n");
        assert!(matches!(clean("plain é"), Cow::Borrowed(_)));
    }

    /// The escaper checks every byte with [`special`] the way it did before it skipped plain
    /// runs by table: both must agree on every string of awkward pieces.
    #[test]
    fn the_table_skips_only_what_special_keeps() {
        fn byte_by_byte(text: &str, markup: bool) -> String {
            let bytes = text.as_bytes();
            let (mut out, mut from, mut i) = (String::new(), 0, 0);
            while i < bytes.len() {
                match special(bytes, i, markup) {
                    None => i += 1,
                    Some((with, len)) => {
                        out.push_str(&text[from..i]);
                        out.push_str(with);
                        i += len;
                        from = i;
                    }
                }
            }
            out.push_str(&text[from..]);
            out
        }
        let pieces = [
            "a", "&", "<", ">", "\"", "'", "\t", "\n", "\r", "\u{0}", "\u{1F}", "\u{7F}", "é",
            "\u{FFFE}", "\u{FFFF}", "\u{FFFD}", "\u{EFFF}", "\u{F000}", "\u{2028}", "😀",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b}x{c}");
                    for markup in [true, false] {
                        let mut out = String::new();
                        push_filtered(&mut out, &text, markup);
                        assert_eq!(out, byte_by_byte(&text, markup), "{text:?}");
                    }
                    assert_eq!(clean(&text), byte_by_byte(&text, false), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn excerpts_are_cut_on_a_character_boundary() {
        let short = "é".repeat(500);
        assert_eq!(excerpt(&short), short);
        let long = "é".repeat(501);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 500);
        assert!(cut.ends_with("é…"));
        let spaced = format!("{} {}", "a".repeat(498), "b".repeat(10));
        assert_eq!(excerpt(&spaced), format!("{}…", "a".repeat(498)));
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    /// Feeds with every optional part present and absent, hostile text everywhere.
    fn feeds() -> Vec<Feed<'static>> {
        let hostile = "<b>Tom & \"Jerry\"</b> 'x' ]]> \u{0}\u{1F}\u{FFFE}\u{FFFF}\u{FFFD} é\t\r\n\\ \u{7F}\u{2028}";
        let image = |credit: Option<&'static str>,
                     alt: Option<&'static str>,
                     kind: Option<&'static str>| FeedImage {
            url: format!("http://api.example/v1/images/x/file?{hostile}"),
            content_type: kind.map(Cow::Borrowed),
            width: 1200,
            height: 800,
            credit: credit.map(Cow::Borrowed),
            alt_text: alt.map(Cow::Borrowed),
        };
        let item = |n: usize| Item {
            id: format!("0190{n:04}-aaaa-7bbb-8ccc-dddddddddddd").into(),
            title: if n.is_multiple_of(2) {
                hostile.into()
            } else {
                format!("Story {n}").into()
            },
            link: format!("https://site.example/news/story-{n}?a=1&b=2"),
            published: at("2026-12-05T16:45:00.123456Z"),
            updated: at([
                "2026-12-05T16:45:07Z",
                "0999-01-02T03:04:05.9Z",
                "2026-02-28T23:59:59.999Z",
            ][n % 3]),
            authors: (0..n % 3)
                .map(|a| FeedAuthor {
                    name: format!("Author {a} {hostile}").into(),
                    url: a
                        .is_multiple_of(2)
                        .then(|| format!("https://site.example/author/a{a}")),
                })
                .collect(),
            categories: (0..n % 4)
                .map(|c| format!("Cat {c} {hostile}").into())
                .collect(),
            summary: excerpt(&hostile.repeat(n * 7)),
            language: "en-GB".into(),
            image: match n % 5 {
                0 => None,
                1 => Some(image(Some(hostile), Some(hostile), Some("image/png"))),
                2 => Some(image(None, Some("alt"), None)),
                3 => Some(image(Some("credit"), None, Some("image/jpeg"))),
                _ => Some(image(None, None, Some("image/webp"))),
            },
        };
        let feed = |items: Vec<Item<'static>>, updated: DateTime<Utc>| Feed {
            title: format!("The {hostile} Times"),
            description: format!("The latest stories from {hostile}"),
            home: "https://site.example/?x=1&y=<2>".to_owned(),
            self_url: "http://api.example/v1/feeds/rss".to_owned(),
            updated,
            items,
        };
        vec![
            feed(Vec::new(), DateTime::<Utc>::UNIX_EPOCH),
            feed((0..60).map(item).collect(), at("2026-12-05T16:45:07.5Z")),
            // Past year 9999, where chrono's own writing takes over.
            feed(
                vec![item(1)],
                at("9999-12-31T23:59:59Z") + chrono::TimeDelta::days(2),
            ),
        ]
    }

    #[test]
    fn every_kind_is_written_byte_for_byte_as_before() {
        for feed in feeds() {
            assert_eq!(rss(&feed), reference::rss(&feed));
            assert_eq!(atom(&feed), reference::atom(&feed));
            let written = json(&feed);
            assert_eq!(
                String::from_utf8_lossy(&written),
                String::from_utf8_lossy(&reference::json(&feed))
            );
        }
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let mut t = at("1999-12-31T23:59:58.5Z");
        for _ in 0..4000 {
            let mut out = String::new();
            push_rfc2822(&mut out, t);
            assert_eq!(out, t.format("%a, %d %b %Y %H:%M:%S +0000").to_string());
            out.clear();
            push_rfc3339(&mut out, t);
            assert_eq!(out, t.to_rfc3339_opts(SecondsFormat::Millis, true));
            t += chrono::TimeDelta::milliseconds(3_600_000 * 7 + 61_001);
        }
    }
}
