//! Rendering a body: sanitized HTML, plain text, body figures and the excerpt.

use super::{Block, Inline, MAX_EXCERPT_CHARS, check_url, inline::parse_inline_lenient};

/// Renders a body as sanitized HTML, one block per line. Every piece of writer text is
/// escaped and only our own tags and attributes are emitted; links and embeds whose URL
/// is unacceptable (only possible for an unvalidated body) lose their `<a>`.
#[must_use]
pub fn render_html(blocks: &[Block]) -> String {
    let mut lines = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut out = String::new();
        match block {
            Block::Paragraph { text } => {
                out.push_str("<p>");
                html_markup(&mut out, text);
                out.push_str("</p>");
            }
            Block::Heading { level, text } => {
                let level = (*level).clamp(2, 4);
                out.push_str(&format!("<h{level}>"));
                html_markup(&mut out, text);
                out.push_str(&format!("</h{level}>"));
            }
            Block::Quote { text, attribution } => {
                out.push_str("<blockquote><p>");
                html_markup(&mut out, text);
                out.push_str("</p>");
                if let Some(attribution) = attribution {
                    out.push_str("<footer>");
                    html_markup(&mut out, attribution);
                    out.push_str("</footer>");
                }
                out.push_str("</blockquote>");
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                out.push_str(&format!("<{tag}>"));
                for item in items {
                    out.push_str("<li>");
                    html_markup(&mut out, item);
                    out.push_str("</li>");
                }
                out.push_str(&format!("</{tag}>"));
            }
            Block::Embed { url, title } => {
                out.push_str("<figure class=\"embed\">");
                if check_url(url, false).is_ok() {
                    out.push_str("<a href=\"");
                    escape_into(&mut out, url);
                    out.push_str("\" rel=\"nofollow noopener\">");
                    escape_into(&mut out, title.as_deref().unwrap_or(url));
                    out.push_str("</a>");
                } else if let Some(title) = title {
                    // Unvalidated body with a bad URL: show the title, never the URL.
                    escape_into(&mut out, title);
                }
                out.push_str("</figure>");
            }
            Block::Image {
                image_id,
                caption_id,
            } => {
                out.push_str("<figure class=\"image\" data-image-id=\"");
                escape_into(&mut out, image_id);
                out.push('"');
                if let Some(caption_id) = caption_id {
                    out.push_str(" data-caption-id=\"");
                    escape_into(&mut out, caption_id);
                    out.push('"');
                }
                out.push_str("></figure>");
            }
        }
        lines.push(out);
    }
    lines.join("\n")
}

/// The stored HTML's placeholder for an image block (what [`render_html`] writes), which a read
/// fills in with the picture as it is then (its alt text, caption and credit may change without
/// the article changing).
const FIGURE_PLACEHOLDER: &str = "<figure class=\"image\" data-image-id=\"";

/// The width a body image is laid out at, at most: `sizes` says so, and `src` is the narrowest
/// copy at least this wide.
const BODY_IMAGE_WIDTH: u32 = 1024;

/// `html` (from [`render_html`]) with each image block's placeholder, in order, replaced by a
/// complete `<figure>` (class `image`, and `illustrative` when the picture does not show the event):
/// an `<img>` with `src`, `srcset`, `sizes`, `width`, `height`, `alt` and lazy loading, and a
/// `<figcaption>` with the caption and credit, each in a span of its own class. `pictures` are the body's image
/// blocks in order; one that is `None` (its image is gone) keeps its empty placeholder.
#[must_use]
pub fn with_figures(html: &str, pictures: &[Option<crate::images::Picture>]) -> String {
    if pictures.is_empty() || !html.contains(FIGURE_PLACEHOLDER) {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + pictures.len() * 600);
    let mut rest = html;
    let mut next = pictures.iter();
    while let Some(start) = rest.find(FIGURE_PLACEHOLDER) {
        let Some(len) = rest[start..]
            .find("</figure>")
            .map(|e| e + "</figure>".len())
        else {
            break;
        };
        out.push_str(&rest[..start]);
        match next.next() {
            Some(Some(picture)) => figure_into(&mut out, picture),
            _ => out.push_str(&rest[start..start + len]),
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

fn figure_into(out: &mut String, p: &crate::images::Picture) {
    let (src, width, height) = p
        .renditions
        .iter()
        .find(|r| r.width >= BODY_IMAGE_WIDTH)
        .map_or((p.url.as_str(), p.width, p.height), |r| {
            (r.url.as_str(), r.width, r.height)
        });
    out.push_str(if p.illustrative {
        "<figure class=\"image illustrative\"><img src=\""
    } else {
        "<figure class=\"image\"><img src=\""
    });
    escape_into(out, src);
    out.push_str("\" srcset=\"");
    escape_into(out, &p.srcset());
    out.push_str(&format!(
        "\" sizes=\"(max-width: {BODY_IMAGE_WIDTH}px) 100vw, {BODY_IMAGE_WIDTH}px\" width=\"{width}\" height=\"{height}\" alt=\""
    ));
    escape_into(out, p.alt_text.as_deref().unwrap_or_default());
    out.push_str("\" loading=\"lazy\">");
    if p.caption.is_some() || p.credit.is_some() {
        out.push_str("<figcaption>");
        if let Some(caption) = &p.caption {
            out.push_str("<span class=\"caption\">");
            escape_into(out, caption);
            out.push_str("</span>");
        }
        if let Some(credit) = &p.credit {
            if p.caption.is_some() {
                out.push(' ');
            }
            out.push_str("<span class=\"credit\">");
            escape_into(out, credit);
            out.push_str("</span>");
        }
        out.push_str("</figcaption>");
    }
    out.push_str("</figure>");
}

/// Renders a body as plain text: markup removed, blocks separated by a blank line,
/// list items one per line (`- ` or `1. `), quotes as `text — attribution`, embeds as
/// their title (or URL), images left out.
#[must_use]
pub fn render_text(blocks: &[Block]) -> String {
    let mut parts = Vec::with_capacity(blocks.len());
    for block in blocks {
        let part = match block {
            Block::Paragraph { text } | Block::Heading { text, .. } => plain_markup(text),
            Block::Quote { text, attribution } => match attribution {
                Some(by) => format!("{} — {}", plain_markup(text), plain_markup(by)),
                None => plain_markup(text),
            },
            Block::List { ordered, items } => {
                let line = |(i, item): (usize, &String)| {
                    let marker = if *ordered {
                        format!("{}.", i + 1)
                    } else {
                        "-".to_owned()
                    };
                    format!("{marker} {}", plain_markup(item))
                };
                items
                    .iter()
                    .enumerate()
                    .map(line)
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Block::Embed { url, title } => title.as_deref().unwrap_or(url).to_owned(),
            Block::Image { .. } => continue,
        };
        parts.push(part);
    }
    parts.join("\n\n")
}

fn html_markup(out: &mut String, text: &str) {
    html_inlines(out, &parse_inline_lenient(text));
}

fn html_inlines(out: &mut String, nodes: &[Inline]) {
    for node in nodes {
        match node {
            Inline::Text(text) => escape_into(out, text),
            Inline::Emphasis(children) => {
                out.push_str("<em>");
                html_inlines(out, children);
                out.push_str("</em>");
            }
            Inline::Strong(children) => {
                out.push_str("<strong>");
                html_inlines(out, children);
                out.push_str("</strong>");
            }
            Inline::Link { label, url } => {
                out.push_str("<a href=\"");
                escape_into(out, url);
                out.push_str("\" rel=\"nofollow noopener\">");
                html_inlines(out, label);
                out.push_str("</a>");
            }
        }
    }
}

fn plain_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    plain_inlines(&mut out, &parse_inline_lenient(text));
    out
}

pub(super) fn plain_inlines(out: &mut String, nodes: &[Inline]) {
    for node in nodes {
        match node {
            Inline::Text(text) => out.push_str(text),
            Inline::Emphasis(children) | Inline::Strong(children) => plain_inlines(out, children),
            Inline::Link { label, .. } => plain_inlines(out, label),
        }
    }
}

/// Escapes `& < > " '` so the text is safe in element content and quoted attributes.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

// ---------------------------------------------------------------------------
// Excerpts
// ---------------------------------------------------------------------------

/// Builds an excerpt of at most [`MAX_EXCERPT_CHARS`] characters from the standfirst, or
/// from the body text when the standfirst is blank. Whitespace is collapsed to single
/// spaces. A longer source is cut at the last space that leaves room for a trailing "…",
/// or at a character boundary when the first 500 characters hold no space.
#[must_use]
pub fn excerpt(standfirst: &str, body_text: &str) -> String {
    let source = if standfirst.trim().is_empty() {
        body_text
    } else {
        standfirst
    };
    let collapsed = source.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_EXCERPT_CHARS {
        return collapsed;
    }
    let room = MAX_EXCERPT_CHARS - 1; // for the "…"
    // The char at index `room` exists since the text is longer than that. A space there
    // still ends a whole word at the limit.
    let (limit, at_limit) = collapsed
        .char_indices()
        .nth(room)
        .unwrap_or((collapsed.len(), ' '));
    let cut = match collapsed[..limit].rfind(' ') {
        _ if at_limit == ' ' => limit,
        Some(space) if space > 0 => space,
        _ => limit,
    };
    format!("{}…", collapsed[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{check_excerpt, validate};
    use super::*;
    use serde_json::json;

    // --- HTML ---

    #[test]
    fn renders_every_block() {
        let blocks = parse(json!([
            {"type": "paragraph", "text": "Hello *world*"},
            {"type": "heading", "level": 3, "text": "Sub"},
            {"type": "quote", "text": "Q", "attribution": "A"},
            {"type": "quote", "text": "Q"},
            {"type": "list", "items": ["a", "b"]},
            {"type": "list", "ordered": true, "items": ["x"]},
            {"type": "embed", "url": "https://v.example/1", "title": "Clip"},
            {"type": "embed", "url": "https://v.example/2"},
            {"type": "image", "image_id": "i1", "caption_id": "c1"},
            {"type": "image", "image_id": "i2"}
        ]));
        let expected = [
            "<p>Hello <em>world</em></p>",
            "<h3>Sub</h3>",
            "<blockquote><p>Q</p><footer>A</footer></blockquote>",
            "<blockquote><p>Q</p></blockquote>",
            "<ul><li>a</li><li>b</li></ul>",
            "<ol><li>x</li></ol>",
            r#"<figure class="embed"><a href="https://v.example/1" rel="nofollow noopener">Clip</a></figure>"#,
            r#"<figure class="embed"><a href="https://v.example/2" rel="nofollow noopener">https://v.example/2</a></figure>"#,
            r#"<figure class="image" data-image-id="i1" data-caption-id="c1"></figure>"#,
            r#"<figure class="image" data-image-id="i2"></figure>"#,
        ];
        let html = render_html(&blocks);
        assert_eq!(html, expected.join("\n"));
        assert_safe(&html);
        assert_eq!(render_html(&[]), "");
    }

    #[test]
    fn renders_nested_markup() {
        assert_eq!(
            html_of("**bold *and em***"),
            "<p><strong>bold <em>and em</em></strong></p>"
        );
        assert_eq!(
            html_of("*em [link](https://x.example)*"),
            r#"<p><em>em <a href="https://x.example" rel="nofollow noopener">link</a></em></p>"#
        );
        assert_eq!(
            html_of("[**big** deal](https://x.example/?a=1&b=2)"),
            r#"<p><a href="https://x.example/?a=1&amp;b=2" rel="nofollow noopener"><strong>big</strong> deal</a></p>"#
        );
        assert_eq!(
            html_of(r"\*\*not\*\* 2 * 3 \[x\]"),
            "<p>**not** 2 * 3 [x]</p>"
        );
    }

    #[test]
    fn escapes_all_writer_text() {
        let escaped = "&amp; &lt; &gt; &quot; &#39;";
        assert_eq!(html_of(r#"& < > " '"#), format!("<p>{escaped}</p>"));
        let blocks = parse(json!([
            {"type": "heading", "level": 2, "text": "<&>"},
            {"type": "quote", "text": "\"q\"", "attribution": "O'Neil & <Co>"},
            {"type": "list", "items": ["<li>"]},
            {"type": "embed", "url": "https://a.example/?q=1&r=2", "title": "<b>t</b>"}
        ]));
        let expected = [
            "<h2>&lt;&amp;&gt;</h2>",
            "<blockquote><p>&quot;q&quot;</p><footer>O&#39;Neil &amp; &lt;Co&gt;</footer></blockquote>",
            "<ul><li>&lt;li&gt;</li></ul>",
            r#"<figure class="embed"><a href="https://a.example/?q=1&amp;r=2" rel="nofollow noopener">&lt;b&gt;t&lt;/b&gt;</a></figure>"#,
        ];
        assert_eq!(render_html(&blocks), expected.join("\n"));
        // Unvalidated ids are still escaped as attribute values.
        let image = Block::Image {
            image_id: "\"><x>".into(),
            caption_id: Some("'".into()),
        };
        let html = render_html(&[image]);
        let expected = r#"<figure class="image" data-image-id="&quot;&gt;&lt;x&gt;" data-caption-id="&#39;"></figure>"#;
        assert_eq!(html, expected);
    }

    const ATTACKS: [&str; 10] = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        r#""><svg onload=alert(1)>"#,
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        r#"[x](https://a.example/" onmouseover="alert(1))"#,
        "[x](https://a.example/'onmouseover='alert(1))",
        "*<script>* **</script>**",
        "[<img src=x onerror=alert(1)>](https://a.example)",
    ];

    #[test]
    fn writer_text_cannot_inject() {
        for attack in ATTACKS {
            let blocks = parse(json!([
                {"type": "paragraph", "text": attack},
                {"type": "heading", "level": 2, "text": attack},
                {"type": "quote", "text": attack, "attribution": attack},
                {"type": "list", "items": [attack, attack]}
            ]));
            // Rendered as is (even unvalidated): bad links keep only their label.
            let html = render_html(&blocks);
            assert_safe(&html);
            assert_no_handlers(&html);
            assert!(
                !html.contains("javascript:") && !html.contains("data:"),
                "{html}"
            );
            // Embed titles are plain text: shown, escaped, never markup.
            let title = json!([{"type": "embed", "url": "https://a.example", "title": attack}]);
            let html = render_html(&parse(title));
            assert_safe(&html);
            assert_no_handlers(&html);
        }
        for attack in &ATTACKS[3..8] {
            assert_eq!(
                errs(json!({"type": "paragraph", "text": attack})).len(),
                1,
                "{attack}"
            );
        }
        assert_eq!(html_of("[x](javascript:alert(1))"), "<p>x</p>");
    }

    #[test]
    fn urls_and_ids_cannot_inject() {
        for attack in ATTACKS
            .iter()
            .chain(&["https://a.example/\"onload=\"x", "javascript:x"])
        {
            let blocks = parse(json!([
                {"type": "embed", "url": attack},
                {"type": "embed", "url": attack, "title": "T"},
                {"type": "image", "image_id": attack, "caption_id": attack}
            ]));
            assert_eq!(validate(&blocks).len(), 4, "{attack}");
            // Rendering an unvalidated body is still safe: bad URLs lose their link.
            assert_safe(&render_html(&blocks));
        }
        let embed = |url: &str| render_html(&parse(json!([{"type": "embed", "url": url}])));
        assert_eq!(
            embed("javascript:alert(1)"),
            r#"<figure class="embed"></figure>"#
        );
    }

    #[test]
    fn unicode_is_untouched() {
        let uk = "Зеленський: «Ми *переможемо*» — ґанок, їжак, є";
        assert_eq!(
            html_of(uk),
            "<p>Зеленський: «Ми <em>переможемо</em>» — ґанок, їжак, є</p>"
        );
        assert_eq!(
            render_text(&[p(uk)]),
            "Зеленський: «Ми переможемо» — ґанок, їжак, є"
        );
        let de = "Größe & Maß: **Übermäßig** schön";
        assert_eq!(
            html_of(de),
            "<p>Größe &amp; Maß: <strong>Übermäßig</strong> schön</p>"
        );
        assert_eq!(render_text(&[p(de)]), "Größe & Maß: Übermäßig schön");
        assert!(errs(json!({"type": "paragraph", "text": uk})).is_empty());
    }

    // --- plain text ---

    #[test]
    fn renders_plain_text() {
        let blocks = parse(json!([
            {"type": "paragraph", "text": "Hello *world* and [a link](https://x.example)"},
            {"type": "heading", "level": 2, "text": "**Sub**"},
            {"type": "image", "image_id": "i"},
            {"type": "quote", "text": "Q", "attribution": "*Ann*"},
            {"type": "quote", "text": "R"},
            {"type": "list", "items": ["a", "b"]},
            {"type": "list", "ordered": true, "items": ["x", "y"]},
            {"type": "embed", "url": "https://v.example", "title": "Clip"},
            {"type": "embed", "url": "https://v.example"}
        ]));
        let expected = [
            "Hello world and a link",
            "Sub",
            "Q — Ann",
            "R",
            "- a\n- b",
            "1. x\n2. y",
            "Clip",
            "https://v.example",
        ];
        assert_eq!(render_text(&blocks), expected.join("\n\n"));
        assert_eq!(render_text(&[p(r"\*lit\* <b>")]), "*lit* <b>");
        assert_eq!(render_text(&[]), "");
    }

    // --- excerpts ---

    #[test]
    fn short_excerpt_unchanged() {
        assert_eq!(
            excerpt("A short standfirst.", "body"),
            "A short standfirst."
        );
        assert_eq!(excerpt("", "Body  text\n\nhere"), "Body text here");
        assert_eq!(excerpt("  \n", "Body"), "Body");
        assert_eq!(excerpt("", ""), "");
        let exact = "a".repeat(MAX_EXCERPT_CHARS);
        assert_eq!(excerpt(&exact, ""), exact);
        assert_eq!(excerpt("Stand", &"body ".repeat(500)), "Stand");
    }

    #[test]
    fn long_excerpt_cut_at_word() {
        let words = [
            "alpha",
            "beta",
            "gamma",
            "delta",
            "epsilon",
            "Зеленський",
            "Größe",
        ];
        let body: String = (0..400)
            .map(|i| format!("{}{}", words[i % 7], ["  ", "\n\n"][i % 2]))
            .collect();
        assert!(body.chars().count() >= 2_000);
        let ex = excerpt("", &body);
        assert!(
            ex.chars().count() <= MAX_EXCERPT_CHARS,
            "{}",
            ex.chars().count()
        );
        assert!(ex.chars().count() > MAX_EXCERPT_CHARS - 15);
        let stem = ex.strip_suffix('…').unwrap();
        assert!(
            words.contains(&stem.rsplit(' ').next().unwrap()),
            "cut mid-word: {ex}"
        );
        let collapsed = body.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(collapsed.starts_with(&format!("{stem} ")));
    }

    #[test]
    fn excerpt_edge_cases() {
        // A space exactly at the limit keeps the whole word before it.
        let text = format!("{} {}", "a".repeat(MAX_EXCERPT_CHARS - 1), "b".repeat(10));
        assert_eq!(
            excerpt(&text, ""),
            format!("{}…", "a".repeat(MAX_EXCERPT_CHARS - 1))
        );
        // One character more and that word no longer fits: cut before it.
        let text = format!("x {} b", "a".repeat(MAX_EXCERPT_CHARS - 2));
        assert_eq!(excerpt(&text, ""), "x…");
        // No whitespace at all: cut at a character boundary.
        let ex = excerpt(&"я".repeat(1_000), "");
        assert_eq!(ex.chars().count(), MAX_EXCERPT_CHARS);
        assert!(ex.ends_with("я…"));
    }

    #[test]
    fn excerpt_checks() {
        let check = |text: &str| {
            let mut errors = Vec::new();
            check_excerpt("excerpt", text, &mut errors);
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
        };
        assert!(check("  Fine excerpt.  ").is_empty());
        assert!(check(&format!(" {} ", "ї".repeat(MAX_EXCERPT_CHARS))).is_empty());
        assert_eq!(check("   "), ["excerpt: must not be empty"]);
        assert_eq!(
            check(&"a".repeat(501)),
            ["excerpt: must be at most 500 characters"]
        );
        assert_eq!(
            check("two\nlines"),
            ["excerpt: must not contain control characters"]
        );
    }

    #[test]
    fn image_placeholders_become_complete_figures_in_order() {
        let blocks = vec![
            Block::Image {
                image_id: "i1".into(),
                caption_id: Some("c1".into()),
            },
            Block::Paragraph {
                text: "Between.".to_owned(),
            },
            Block::Image {
                image_id: "gone".into(),
                caption_id: None,
            },
        ];
        let stored = render_html(&blocks);
        let picture = crate::images::Picture {
            image_id: "i1".into(),
            caption_id: Some("c1".into()),
            url: "https://h/v1/images/i1/file".to_owned(),
            width: 2000,
            height: 1000,
            alt_text: Some("A \"quay\" & cranes".to_owned()),
            caption: Some("Dawn <b>".to_owned()),
            credit: Some("Desk".to_owned()),
            illustrative: true,
            renditions: vec![crate::images::Rendition {
                width: 1024,
                height: 512,
                url: "https://h/v1/images/i1/file?w=1024".to_owned(),
            }],
        };
        let html = with_figures(&stored, &[Some(picture), None]);
        assert_eq!(
            html,
            concat!(
                r#"<figure class="image illustrative"><img src="https://h/v1/images/i1/file?w=1024" "#,
                r#"srcset="https://h/v1/images/i1/file?w=1024 1024w, https://h/v1/images/i1/file 2000w" "#,
                r#"sizes="(max-width: 1024px) 100vw, 1024px" width="1024" height="512" "#,
                r#"alt="A &quot;quay&quot; &amp; cranes" loading="lazy"><figcaption>"#,
                r#"<span class="caption">Dawn &lt;b&gt;</span> <span class="credit">Desk</span>"#,
                r#"</figcaption></figure>"#,
                "\n<p>Between.</p>\n",
                r#"<figure class="image" data-image-id="gone"></figure>"#
            )
        );
        assert_eq!(with_figures(&stored, &[]), stored);
    }
}
