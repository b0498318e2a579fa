//! Helpers shared by the body modules' tests.

use super::*;
use serde_json::{Value, json};

pub(super) const OUR_TAGS: [&str; 13] = [
    "p",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "footer",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "a",
    "figure",
];
pub(super) const OUR_ATTRS: [&str; 5] =
    ["href", "rel", "class", "data-image-id", "data-caption-id"];
pub(super) const ONLY_LINKS: &str = "link 1: only http, https and mailto links are allowed";
pub(super) const BAD_CHARS: &str =
    "must not contain spaces, quotes, angle brackets, backslashes or control characters";

pub(super) fn p(text: &str) -> Block {
    Block::Paragraph { text: text.into() }
}

pub(super) fn parse(body: Value) -> Vec<Block> {
    serde_json::from_value(body).unwrap()
}

/// Validation errors, as "field: message", of `block` placed after `index` good ones.
pub(super) fn errs_at(index: usize, block: Value) -> Vec<String> {
    let mut body = vec![json!({"type": "paragraph", "text": "fine"}); index];
    body.push(block);
    let errors = validate(&parse(Value::Array(body)));
    errors
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

pub(super) fn errs(block: Value) -> Vec<String> {
    errs_at(0, block)
}

pub(super) fn t(text: &str) -> Inline {
    Inline::Text(text.into())
}

pub(super) fn em(children: Vec<Inline>) -> Inline {
    Inline::Emphasis(children)
}

pub(super) fn strong(children: Vec<Inline>) -> Inline {
    Inline::Strong(children)
}

pub(super) fn link(label: Vec<Inline>, url: &str) -> Inline {
    Inline::Link {
        label,
        url: url.into(),
    }
}

pub(super) fn html_of(text: &str) -> String {
    render_html(&[p(text)])
}

pub(super) fn depth(nodes: &[Inline]) -> usize {
    let one = |n: &Inline| match n {
        Inline::Text(_) => 0,
        Inline::Emphasis(c) | Inline::Strong(c) | Inline::Link { label: c, .. } => 1 + depth(c),
    };
    nodes.iter().map(one).max().unwrap_or(0)
}

/// No `<script`; every tag is one of ours with only our attributes, all double-quoted;
/// every href is http(s) or mailto.
pub(super) fn assert_safe(html: &str) {
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    for tag in html
        .split('<')
        .skip(1)
        .map(|s| s.split('>').next().unwrap())
    {
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        assert!(
            OUR_TAGS.contains(&name.trim_start_matches('/')),
            "<{tag}> in {html}"
        );
        while let Some((attr, rest)) = attrs.trim_start().split_once("=\"") {
            let (value, rest) = rest.split_once('"').unwrap();
            assert!(OUR_ATTRS.contains(&attr), "{attr} in <{tag}>");
            let scheme_ok = ["http://", "https://", "mailto:"]
                .iter()
                .any(|s| value.starts_with(s));
            assert!(attr != "href" || scheme_ok, "href {value}");
            attrs = rest;
        }
        assert!(attrs.trim().is_empty(), "stray attribute text in <{tag}>");
    }
}

/// No event handler text anywhere inside a tag (not even in attribute values).
pub(super) fn assert_no_handlers(html: &str) {
    for tag in html
        .split('<')
        .skip(1)
        .map(|s| s.split('>').next().unwrap())
    {
        for handler in ["onerror=", "onload=", "onmouseover="] {
            assert!(!tag.contains(handler), "{handler} in <{tag}>");
        }
    }
}

// --- serde ---
