//! Structured article bodies: typed blocks, validation, inline markup and rendering.
//!
//! A body is a JSON array of [`Block`]s. Text fields may carry a tiny inline markup
//! (`*emphasis*`, `**strong**`, `[label](url)`, backslash escapes) that is parsed by
//! [`parse_inline`]; nothing a writer sends is ever copied into HTML unescaped.
//!
//! This module holds the types and their validation; `inline` parses the markup and
//! `render` turns a body into HTML, plain text and an excerpt.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::ids::{CaptionId, ImageId};

mod inline;
mod render;
#[cfg(test)]
mod test_support;

pub use inline::parse_inline;
pub use render::{excerpt, render_html, render_text, with_figures};

/// Most blocks one body may hold.
pub const MAX_BLOCKS: usize = 2_000;
/// Most characters in one text field (paragraph, heading, quote text, list item).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most characters in a short field (quote attribution, embed title).
pub const MAX_SHORT_CHARS: usize = 500;
/// Most characters in an image or caption id.
pub const MAX_ID_CHARS: usize = 100;
/// Most characters in a URL (embed url or inline link): the one URL rule's limit.
pub use crate::validate::MAX_URL_CHARS;
/// Most items in one list block.
pub const MAX_LIST_ITEMS: usize = 1_000;
/// Most characters in an excerpt, including a trailing "…".
pub const MAX_EXCERPT_CHARS: usize = 500;
/// Deepest emphasis/strong nesting that is rendered as markup; deeper delimiters stay
/// literal text, so a hostile body cannot build a tree deep enough to exhaust the stack.
const MAX_NESTING: usize = 16;

/// One block of an article body, told apart by its `type`. Unknown fields are rejected.
//
// `deny_unknown_fields` on this internally tagged enum is honoured by serde for every
// struct variant: the `type` tag is taken out first and the remaining keys are checked
// against the chosen variant's fields, so `{"type":"paragraph","text":"a","x":1}` is
// rejected with "unknown field `x`" (see the `unknown_type_and_field_rejected` test). Serde does
// not allow the attribute on single variants, and utoipa does not turn it into
// `additionalProperties: false` for enum variants, so the OpenAPI schema does not show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A paragraph of text with inline markup.
    #[schema(title = "ParagraphBlock")]
    Paragraph {
        /// Paragraph text; supports `*emphasis*`, `**strong**` and `[label](url)`.
        text: String,
    },
    /// A section heading.
    #[schema(title = "HeadingBlock")]
    Heading {
        /// Heading level: 2, 3 or 4 (level 1 is the article headline).
        #[schema(minimum = 2, maximum = 4)]
        level: u8,
        /// Heading text; supports inline markup.
        text: String,
    },
    /// A block quotation, optionally attributed.
    #[schema(title = "QuoteBlock")]
    Quote {
        /// The quoted text; supports inline markup.
        text: String,
        /// Who said or wrote it; supports inline markup.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        attribution: Option<String>,
    },
    /// A bulleted or numbered list.
    #[schema(title = "ListBlock")]
    List {
        /// `true` for a numbered list; defaults to `false` (bullets).
        #[serde(default)]
        ordered: bool,
        /// The list items (at least one); each supports inline markup.
        #[schema(min_items = 1)]
        items: Vec<String>,
    },
    /// External content shown as a link to an http or https URL.
    #[schema(title = "EmbedBlock")]
    Embed {
        /// The http or https URL of the embedded content.
        url: String,
        /// Text shown for the embed; the URL is shown when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        title: Option<String>,
    },
    /// An image from the media library.
    #[schema(title = "ImageBlock")]
    Image {
        /// Id of the image in the media library.
        #[schema(value_type = String)]
        image_id: ImageId,
        /// Id of the caption to show with the image.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<String>, nullable = false)]
        caption_id: Option<CaptionId>,
    },
}

/// A parsed piece of inline markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Plain text, escapes already resolved.
    Text(String),
    /// `*emphasis*`
    Emphasis(Vec<Inline>),
    /// `**strong**`
    Strong(Vec<Inline>),
    /// `[label](url)`; the label holds no links.
    Link {
        /// The link text.
        label: Vec<Inline>,
        /// The target, an http, https or mailto URL.
        url: String,
    },
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// Checks a body and returns every problem found, with paths like `body[3].text`.
#[must_use]
pub fn validate(blocks: &[Block]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if blocks.is_empty() {
        errors.push(FieldError::new("body", "must have at least one block"));
        return errors;
    }
    if blocks.len() > MAX_BLOCKS {
        let message = format!("must have at most {MAX_BLOCKS} blocks");
        errors.push(FieldError::new("body", message));
        return errors;
    }
    for (i, block) in blocks.iter().enumerate() {
        let at = |name: &str| format!("body[{i}].{name}");
        let e = &mut errors;
        match block {
            Block::Paragraph { text } => check_text(&at("text"), text, e),
            Block::Heading { level, text } => {
                if !(2..=4).contains(level) {
                    e.push(FieldError::new(at("level"), "must be 2, 3 or 4"));
                }
                check_text(&at("text"), text, e);
            }
            Block::Quote { text, attribution } => {
                check_text(&at("text"), text, e);
                if let Some(attribution) = attribution {
                    check_short(&at("attribution"), attribution, true, e);
                }
            }
            Block::List { items, .. } => {
                if items.is_empty() {
                    e.push(FieldError::new(at("items"), "must have at least one item"));
                } else if items.len() > MAX_LIST_ITEMS {
                    let message = format!("must have at most {MAX_LIST_ITEMS} items");
                    e.push(FieldError::new(at("items"), message));
                }
                for (j, item) in items.iter().enumerate().take(MAX_LIST_ITEMS) {
                    check_text(&format!("body[{i}].items[{j}]"), item, e);
                }
            }
            Block::Embed { url, title } => {
                if let Err(message) = check_url(url, false) {
                    e.push(FieldError::new(at("url"), message));
                }
                if let Some(title) = title {
                    check_short(&at("title"), title, false, e);
                }
            }
            Block::Image {
                image_id,
                caption_id,
            } => {
                check_id(&at("image_id"), image_id, e);
                if let Some(caption_id) = caption_id {
                    check_id(&at("caption_id"), caption_id, e);
                }
            }
        }
    }
    errors
}

/// Checks an editor-supplied excerpt: plain text, 1–500 characters after trimming,
/// no control characters (line breaks included).
pub fn check_excerpt(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    let text = text.trim();
    let message = if text.is_empty() {
        "must not be empty".to_owned()
    } else if text.chars().count() > MAX_EXCERPT_CHARS {
        format!("must be at most {MAX_EXCERPT_CHARS} characters")
    } else if text.chars().any(char::is_control) {
        "must not contain control characters".to_owned()
    } else {
        return;
    };
    errors.push(FieldError::new(field, message));
}

/// A long text field with inline markup.
fn check_text(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    if let Err(message) = check_plain(text, MAX_TEXT_CHARS) {
        errors.push(FieldError::new(field, message));
    } else if let Err(message) = parse_inline(text) {
        errors.push(FieldError::new(field, message));
    }
}

/// A short field (≤ 500 characters), with or without inline markup.
fn check_short(field: &str, text: &str, markup: bool, errors: &mut Vec<FieldError>) {
    let result = check_plain(text, MAX_SHORT_CHARS).and_then(|()| {
        if markup {
            parse_inline(text).map(drop)
        } else {
            Ok(())
        }
    });
    if let Err(message) = result {
        errors.push(FieldError::new(field, message));
    }
}

/// A media id: 1–100 ASCII letters, digits, `-` or `_` (ids are never free text, and
/// this keeps them harmless in the `data-*` attributes they are rendered into).
fn check_id(field: &str, id: &str, errors: &mut Vec<FieldError>) {
    let message = if id.is_empty() {
        "must not be empty"
    } else if id.len() > MAX_ID_CHARS {
        "must be at most 100 characters"
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        "may only contain letters, digits, '-' and '_'"
    } else {
        return;
    };
    errors.push(FieldError::new(field, message));
}

/// Not blank, not too long, and free of control characters other than tab and line breaks
/// (PostgreSQL cannot store NUL, and the others are never intended).
fn check_plain(text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else if text.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Err("must not contain control characters".to_owned())
    } else {
        Ok(())
    }
}

/// Checks an embed URL (`allow_mailto == false`) or a link URL by the one URL rule
/// ([`crate::validate::check_url`]). Rendering escapes URLs as attribute values all the same.
fn check_url(url: &str, allow_mailto: bool) -> Result<(), String> {
    crate::validate::check_url(url, allow_mailto).map_err(|e| e.message(allow_mailto))
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn every_block_type_round_trips() {
        let body = json!([
            {"type": "paragraph", "text": "Hello"},
            {"type": "heading", "level": 2, "text": "Head"},
            {"type": "quote", "text": "Q", "attribution": "A"},
            {"type": "quote", "text": "Q"},
            {"type": "list", "items": ["a", "b"]},
            {"type": "list", "ordered": true, "items": ["a"]},
            {"type": "embed", "url": "https://e.example/v", "title": "T"},
            {"type": "embed", "url": "https://e.example/v"},
            {"type": "image", "image_id": "img-1", "caption_id": "cap_1"},
            {"type": "image", "image_id": "img2"}
        ]);
        let blocks = parse(body.clone());
        assert!(validate(&blocks).is_empty());
        assert_eq!(
            blocks[3],
            Block::Quote {
                text: "Q".into(),
                attribution: None
            }
        );
        assert_eq!(
            blocks[4],
            Block::List {
                ordered: false,
                items: vec!["a".into(), "b".into()]
            }
        );
        // Optional fields that are absent stay absent; `ordered` is always written.
        let mut expected = body;
        expected[4]["ordered"] = json!(false);
        assert_eq!(serde_json::to_value(&blocks).unwrap(), expected);
        // Explicit nulls are accepted for optional fields.
        let null = json!([{"type": "quote", "text": "Q", "attribution": null}]);
        assert_eq!(
            parse(null),
            [Block::Quote {
                text: "Q".into(),
                attribution: None
            }]
        );
    }

    #[test]
    fn unknown_type_and_field_rejected() {
        let from = |s: &str| serde_json::from_str::<Vec<Block>>(s).map_err(|e| e.to_string());
        let err = from(r#"[{"type":"video","url":"https://x.example"}]"#).unwrap_err();
        assert!(err.contains("unknown variant `video`"), "{err}");
        for body in [
            r#"[{"type":"paragraph","text":"a","style":"color:red"}]"#,
            r#"[{"type":"heading","level":2,"text":"a","id":"x"}]"#,
            r#"[{"type":"quote","text":"a","cite":"x"}]"#,
            r#"[{"type":"list","items":["a"],"start":3}]"#,
            r#"[{"type":"embed","url":"https://x.example","html":"<b>"}]"#,
            r#"[{"type":"image","image_id":"a","onload":"x"}]"#,
        ] {
            assert!(from(body).unwrap_err().contains("unknown field"), "{body}");
        }
        // The tag is not an unknown field, wherever it appears; a repeated tag is an error.
        assert!(from(r#"[{"text":"a","type":"paragraph"}]"#).is_ok());
        assert!(from(r#"[{"type":"paragraph","text":"a","type":"paragraph"}]"#).is_err());
    }

    #[test]
    fn wrong_shapes_rejected() {
        for body in [
            r#"[{"text":"no type"}]"#,
            r#"[{"type":"heading","text":"no level"}]"#,
            r#"[{"type":"heading","level":"2","text":"a"}]"#,
            r#"[{"type":"heading","level":-1,"text":"a"}]"#,
            r#"[{"type":"list","items":"a"}]"#,
            r#"[{"type":"paragraph"}]"#,
            r#"[{"type":"Paragraph","text":"a"}]"#,
            r#"{"type":"paragraph","text":"a"}"#,
        ] {
            assert!(serde_json::from_str::<Vec<Block>>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn schema_carries_the_docs() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_string(&Block::schema()).unwrap();
        assert!(schema.contains("oneOf") && schema.contains("\"paragraph\""));
        assert!(schema.contains("Heading level: 2, 3 or 4"), "{schema}");
    }

    // --- validation ---

    #[test]
    fn block_count_limits() {
        let first = validate(&[]);
        assert_eq!(
            first,
            [FieldError::new("body", "must have at least one block")]
        );
        let too_many = validate(&vec![p("x"); MAX_BLOCKS + 1]);
        assert_eq!(
            too_many,
            [FieldError::new("body", "must have at most 2000 blocks")]
        );
        assert!(validate(&vec![p("x"); MAX_BLOCKS]).is_empty());
    }

    #[test]
    fn text_rules() {
        let para = |text: &str| errs_at(3, json!({"type": "paragraph", "text": text}));
        assert_eq!(para(""), ["body[3].text: must not be empty"]);
        assert_eq!(para(" \n\t "), ["body[3].text: must not be empty"]);
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            para(&long),
            ["body[3].text: must be at most 20000 characters"]
        );
        // Characters, not bytes.
        assert!(para(&"ж".repeat(MAX_TEXT_CHARS)).is_empty());
        assert_eq!(
            para("a\u{0}b"),
            ["body[3].text: must not contain control characters"]
        );
        assert!(para("line\nbreak\r\nand\ttab").is_empty());
    }

    #[test]
    fn heading_rules() {
        let heading =
            |level: u8, text: &str| json!({"type": "heading", "level": level, "text": text});
        for level in [2, 3, 4] {
            assert!(errs(heading(level, "T")).is_empty());
        }
        for level in [0, 1, 5, 6, 255] {
            assert_eq!(
                errs_at(1, heading(level, "T")),
                ["body[1].level: must be 2, 3 or 4"]
            );
        }
        let both = errs(heading(1, " "));
        assert_eq!(
            both,
            [
                "body[0].level: must be 2, 3 or 4",
                "body[0].text: must not be empty"
            ]
        );
    }

    #[test]
    fn quote_rules() {
        let quote =
            |text: &str, by: &str| json!({"type": "quote", "text": text, "attribution": by});
        assert!(errs(quote("Q", "Jane *Doe*, [AP](https://ap.example)")).is_empty());
        assert_eq!(errs(quote("", "A")), ["body[0].text: must not be empty"]);
        assert_eq!(
            errs(quote("Q", " ")),
            ["body[0].attribution: must not be empty"]
        );
        let long = "a".repeat(MAX_SHORT_CHARS + 1);
        let too_long = "body[0].attribution: must be at most 500 characters";
        assert_eq!(errs(quote("Q", &long)), [too_long]);
        let bad_link = format!("body[0].attribution: {ONLY_LINKS}");
        assert_eq!(errs(quote("Q", "[x](javascript:x)")), [bad_link]);
    }

    #[test]
    fn list_rules() {
        let list = |items: Value| json!({"type": "list", "items": items});
        assert!(errs(list(json!(["a", "*b*"]))).is_empty());
        assert_eq!(
            errs(list(json!([]))),
            ["body[0].items: must have at least one item"]
        );
        assert_eq!(
            errs_at(2, list(json!(["a", " "]))),
            ["body[2].items[1]: must not be empty"]
        );
        let bad = format!("body[0].items[2]: {ONLY_LINKS}");
        assert_eq!(errs(list(json!(["a", "b", "[c](ftp://x.example)"]))), [bad]);
        let many = list(json!(vec!["i"; MAX_LIST_ITEMS + 1]));
        assert_eq!(errs(many), ["body[0].items: must have at most 1000 items"]);
    }

    #[test]
    fn embed_rules() {
        let embed = |url: &str| errs_at(4, json!({"type": "embed", "url": url}));
        for url in [
            "https://a.example",
            "http://a.example:8080/x?y=1#z",
            "HTTPS://A.EXAMPLE/",
        ] {
            assert!(embed(url).is_empty(), "{url}");
        }
        assert!(embed("https://[2001:db8::1]:443/x").is_empty());
        let not_http = "must be an http or https url";
        for (url, message) in [
            ("", "must not be empty"),
            ("ftp://a.example", not_http),
            ("javascript:alert(1)", not_http),
            ("//a.example/x", not_http),
            ("/relative", not_http),
            ("mailto:desk@news.example", not_http),
            ("https://", "must have a host"),
            ("https:///path", "must have a host"),
            ("https://user@:80/", "must have a host"),
            ("https://a.example/a b", BAD_CHARS),
            (" https://a.example", BAD_CHARS),
            ("https://a.example/\"x", BAD_CHARS),
            ("https://a.example/'x", BAD_CHARS),
            ("https://a.example/<x>", BAD_CHARS),
            ("https://a.example\\x", BAD_CHARS),
            ("https://a.example/\u{7}", BAD_CHARS),
        ] {
            assert_eq!(embed(url), [format!("body[4].url: {message}")], "{url:?}");
        }
        let long = format!("https://a.example/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(
            embed(&long),
            ["body[4].url: must be at most 2000 characters"]
        );
        let titled = |title: &str| {
            errs(json!({"type": "embed", "url": "https://a.example", "title": title}))
        };
        assert!(titled("Video *not markup*").is_empty());
        assert_eq!(titled(""), ["body[0].title: must not be empty"]);
        let long = "t".repeat(MAX_SHORT_CHARS + 1);
        assert_eq!(
            titled(&long),
            ["body[0].title: must be at most 500 characters"]
        );
    }

    #[test]
    fn image_rules() {
        let image = |id: &str, caption: Option<&str>| {
            errs(json!({"type": "image", "image_id": id, "caption_id": caption}))
        };
        assert!(image("6f1c-A_9", None).is_empty());
        assert!(image("abc", Some("def")).is_empty());
        assert_eq!(image("", None), ["body[0].image_id: must not be empty"]);
        assert_eq!(
            image("a", Some("")),
            ["body[0].caption_id: must not be empty"]
        );
        let charset = "may only contain letters, digits, '-' and '_'";
        assert_eq!(
            image("a\"b", None),
            [format!("body[0].image_id: {charset}")]
        );
        assert_eq!(
            image("a", Some("x y")),
            [format!("body[0].caption_id: {charset}")]
        );
        let long = "a".repeat(MAX_ID_CHARS + 1);
        assert_eq!(
            image(&long, None),
            ["body[0].image_id: must be at most 100 characters"]
        );
    }

    #[test]
    fn link_rules() {
        let para = |text: &str| errs(json!({"type": "paragraph", "text": text}));
        for url in [
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative",
            "page.html",
            "ftp://x",
        ] {
            assert_eq!(
                para(&format!("see [x]({url}) now")),
                [format!("body[0].text: {ONLY_LINKS}")]
            );
        }
        let second = para("[ok](https://a.example) and [bad](vbscript:x)");
        assert_eq!(
            second,
            ["body[0].text: link 2: only http, https and mailto links are allowed"]
        );
        let quoted = para(r#"[x](https://a.example/" onmouseover="alert(1))"#);
        assert_eq!(quoted, [format!("body[0].text: link 1: url {BAD_CHARS}")]);
        assert_eq!(
            para("[x](https://)"),
            ["body[0].text: link 1: url must have a host"]
        );
        assert_eq!(
            para("[x]()"),
            ["body[0].text: link 1: url must not be empty"]
        );
        assert_eq!(
            para("[m](mailto:)"),
            ["body[0].text: link 1: url must have an address"]
        );
        assert!(para("[mail](mailto:desk@news.example) [s](https://a.example/x_(y))").is_empty());
        let wiki = "https://en.wikipedia.org/wiki/Mercury_(planet)";
        let parsed = parse_inline(&format!("see [Mercury]({wiki}).")).unwrap();
        assert_eq!(parsed, [t("see "), link(vec![t("Mercury")], wiki), t(".")]);
        // An unbalanced `(` leaves no `)` to end the URL: no link.
        assert_eq!(parse_inline("[x](a(b)").unwrap(), [t("[x](a(b)")]);
    }

    #[test]
    fn every_error_is_reported() {
        let blocks = parse(json!([
            {"type": "paragraph", "text": ""},
            {"type": "heading", "level": 7, "text": "x"},
            {"type": "embed", "url": "nope", "title": ""},
            {"type": "list", "items": ["", "ok", ""]}
        ]));
        let fields: Vec<String> = validate(&blocks).into_iter().map(|e| e.field).collect();
        let expected = [
            "body[0].text",
            "body[1].level",
            "body[2].url",
            "body[2].title",
            "body[3].items[0]",
            "body[3].items[2]",
        ];
        assert_eq!(fields, expected);
    }
}
