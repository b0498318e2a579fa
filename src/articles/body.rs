//! Structured article bodies: typed blocks, validation, inline markup and rendering.
//!
//! A body is a JSON array of [`Block`]s. Text fields may carry a tiny inline markup
//! (`*emphasis*`, `**strong**`, `[label](url)`, backslash escapes) that is parsed by
//! [`parse_inline`]; nothing a writer sends is ever copied into HTML unescaped.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Most blocks one body may hold.
pub const MAX_BLOCKS: usize = 2_000;
/// Most characters in one text field (paragraph, heading, quote text, list item).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most characters in a short field (quote attribution, embed title).
pub const MAX_SHORT_CHARS: usize = 500;
/// Most characters in an image or caption id.
pub const MAX_ID_CHARS: usize = 100;
/// Most characters in a URL (embed url or inline link).
pub const MAX_URL_CHARS: usize = 2_000;
/// Most items in one list block.
pub const MAX_LIST_ITEMS: usize = 1_000;
/// Most characters in an excerpt, including a trailing "…".
pub const MAX_EXCERPT_CHARS: usize = 500;
/// Deepest emphasis/strong nesting that is rendered as markup; deeper delimiters stay
/// literal text, so a hostile body cannot build a tree deep enough to exhaust the stack.
const MAX_NESTING: usize = 16;

/// One block of an article body.
///
/// `deny_unknown_fields` on this internally tagged enum is honoured by serde for every
/// struct variant: the `type` tag is taken out first and the remaining keys are checked
/// against the chosen variant's fields, so `{"type":"paragraph","text":"a","x":1}` is
/// rejected with "unknown field `x`" (see the `unknown_type_and_field_rejected` test). Serde does
/// not allow the attribute on single variants, and utoipa does not turn it into
/// `additionalProperties: false` for enum variants, so the OpenAPI schema does not show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A paragraph of text with inline markup.
    Paragraph {
        /// Paragraph text; supports `*emphasis*`, `**strong**` and `[label](url)`.
        text: String,
    },
    /// A section heading.
    Heading {
        /// Heading level: 2, 3 or 4 (level 1 is the article headline).
        #[schema(minimum = 2, maximum = 4)]
        level: u8,
        /// Heading text; supports inline markup.
        text: String,
    },
    /// A block quotation, optionally attributed.
    Quote {
        /// The quoted text; supports inline markup.
        text: String,
        /// Who said or wrote it; supports inline markup.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribution: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// `true` for a numbered list; defaults to `false` (bullets).
        #[serde(default)]
        ordered: bool,
        /// The list items (at least one); each supports inline markup.
        #[schema(min_items = 1)]
        items: Vec<String>,
    },
    /// External content shown as a link to an http or https URL.
    Embed {
        /// The http or https URL of the embedded content.
        url: String,
        /// Text shown for the embed; the URL is shown when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// An image from the media library.
    Image {
        /// Id of the image in the media library.
        image_id: String,
        /// Id of the caption to show with the image.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption_id: Option<String>,
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

/// Checks an embed URL (`allow_mailto == false`) or a link URL. Besides the scheme and
/// host, characters that could help break out of an attribute or confuse a parser
/// (whitespace, controls, `"`, `'`, `` ` ``, `<`, `>`, `\`) are refused outright; writers
/// percent-encode them. Rendering escapes URLs as attribute values all the same.
fn check_url(url: &str, allow_mailto: bool) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme));
    let mailto = allow_mailto && lower.starts_with("mailto:");
    if url.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    if url.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '<' | '>' | '\\')
    }) {
        return Err(
            "must not contain spaces, quotes, angle brackets, backslashes or control characters"
                .to_owned(),
        );
    }
    if mailto {
        return if lower.len() > "mailto:".len() {
            Ok(())
        } else {
            Err("must have an address".to_owned())
        };
    }
    let Some(rest) = rest else {
        return Err(if allow_mailto {
            "only http, https and mailto links are allowed".to_owned()
        } else {
            "must be an http or https url".to_owned()
        });
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err("must have a host".to_owned());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Inline markup
// ---------------------------------------------------------------------------

/// Parses inline markup. Unmatched `*` and `[` stay literal text; `\*`, `\[`, `\]` and
/// `\\` give the literal character. The only error is a link whose URL is not an
/// acceptable http, https or mailto URL.
///
/// # Errors
///
/// A message like `link 2: only http, https and mailto links are allowed` for the first
/// bad link (links are counted from 1).
pub fn parse_inline(text: &str) -> Result<Vec<Inline>, String> {
    InlineParser::new(text, true).parse()
}

/// Like [`parse_inline`] but never fails: a link with a bad URL becomes its label text.
/// Used by the renderers so that even an unvalidated body renders safely.
fn parse_inline_lenient(text: &str) -> Vec<Inline> {
    InlineParser::new(text, false).parse().unwrap_or_default()
}

/// A lexical unit of inline markup; escaped characters are already plain `Char`s.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Star,
    Open,
    Close,
    LParen,
    RParen,
    Char(char),
}

impl Tok {
    fn as_char(self) -> char {
        match self {
            Tok::Star => '*',
            Tok::Open => '[',
            Tok::Close => ']',
            Tok::LParen => '(',
            Tok::RParen => ')',
            Tok::Char(c) => c,
        }
    }
}

/// A link starting at a `[` token: label tokens, URL tokens, first token after the `)`.
#[derive(Clone, Copy)]
struct LinkSpan {
    label: (usize, usize),
    url: (usize, usize),
    end: usize,
}

/// The element a scan is inside of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    Em,
    Strong,
}

impl Ctx {
    fn delimiter(self) -> &'static str {
        match self {
            Ctx::Top => "",
            Ctx::Em => "*",
            Ctx::Strong => "**",
        }
    }
}

/// An open emphasis or strong element while the tree is built.
struct Frame {
    ctx: Ctx,
    /// Token index of its closing delimiter.
    close: usize,
    /// Nested deeper than `MAX_NESTING`: delimiters stay literal and no node is made.
    flat: bool,
    nodes: Vec<Inline>,
}

/// A linear-time inline parser that never recurses more than one level (into a label).
///
/// Links bind first: a `[` starts a link when the next bracket after it is a `]` that
/// is directly followed by `(`, the `)` matching that `(` ends the URL (so balanced
/// parentheses may appear in it), and the label is not empty.
///
/// A run of `*` may open only when followed by a non-space and close only when preceded
/// by one, so `2 * 3 * 4` stays literal. Emphasis is matched by a dynamic programme over
/// token positions: `em[x]` and `strong[x]` give the closing delimiter that a scan from
/// `x` inside `*…*` or `**…**` reaches, if any. Inside strong, `**` closes and `*` tries
/// to open emphasis; inside emphasis, `**` first tries to open strong, else a `*` closes;
/// elsewhere `**` tries strong and `*` emphasis. A delimiter that opens nothing is literal
/// text. A scan depends only on position and context, so every choice is known before
/// the tree is built and nothing is parsed twice.
struct InlineParser {
    toks: Vec<Tok>,
    links: Vec<Option<LinkSpan>>,
    /// For each `*`: its run is followed by a non-space (may open), preceded by one (may close).
    flanks: Vec<(bool, bool)>,
    strict: bool,
}

impl InlineParser {
    fn new(text: &str, strict: bool) -> Self {
        let mut toks = Vec::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            toks.push(match c {
                '\\' => match chars.next_if(|e| matches!(e, '*' | '[' | ']' | '\\')) {
                    Some(escaped) => Tok::Char(escaped),
                    None => Tok::Char('\\'),
                },
                '*' => Tok::Star,
                '[' => Tok::Open,
                ']' => Tok::Close,
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                c => Tok::Char(c),
            });
        }
        // `closing[k]`: the `)` matching the `(` at `k`, so URLs may hold balanced
        // parentheses, as in `https://en.wikipedia.org/wiki/Mercury_(planet)`.
        let n = toks.len();
        let (mut closing, mut open_parens) = (vec![None; n], Vec::new());
        for (k, tok) in toks.iter().enumerate() {
            match tok {
                Tok::LParen => open_parens.push(k),
                Tok::RParen => {
                    if let Some(open) = open_parens.pop() {
                        closing[open] = Some(k);
                    }
                }
                _ => {}
            }
        }
        // Right to left, `next_bracket` is the nearest `[` or `]` after position `i`.
        let mut links = vec![None; n];
        let mut next_bracket = None::<usize>;
        for i in (0..n).rev() {
            match toks[i] {
                Tok::Open => {
                    let close = next_bracket.filter(|&j| toks[j] == Tok::Close && j > i + 1);
                    let paren = close.filter(|&j| toks.get(j + 1) == Some(&Tok::LParen));
                    let rparen = paren.and_then(|j| closing[j + 1]);
                    if let (Some(j), Some(r)) = (paren, rparen) {
                        let span = LinkSpan {
                            label: (i + 1, j),
                            url: (j + 2, r),
                            end: r + 1,
                        };
                        links[i] = Some(span);
                    }
                    next_bracket = Some(i);
                }
                Tok::Close => next_bracket = Some(i),
                _ => {}
            }
        }
        // Runs of `*`: the text's start and end count as spaces.
        let mut flanks = vec![(false, false); n];
        let space = |k: usize| match toks.get(k) {
            Some(Tok::Char(c)) => c.is_whitespace(),
            Some(_) => false,
            None => true,
        };
        let mut start = 0;
        while start < n {
            let end = (start..n).find(|&k| toks[k] != Tok::Star).unwrap_or(n);
            if end > start {
                let flank = (!space(end), start > 0 && !space(start - 1));
                flanks[start..end].fill(flank);
            }
            start = end.max(start + 1);
        }
        Self {
            toks,
            links,
            flanks,
            strict,
        }
    }

    fn parse(&self) -> Result<Vec<Inline>, String> {
        self.parse_range(0, self.toks.len(), true, 0, &mut 0)
    }

    fn star_pair(&self, x: usize, hi: usize) -> bool {
        x + 1 < hi && self.toks[x] == Tok::Star && self.toks[x + 1] == Tok::Star
    }

    fn may_open(&self, x: usize) -> bool {
        self.flanks[x].0
    }

    fn may_close(&self, x: usize) -> bool {
        self.flanks[x].1
    }

    /// Parses tokens `lo..hi`. Link labels are parsed by a nested call with links off;
    /// `depth` is the nesting outside this range, `count` numbers the links.
    fn parse_range(
        &self,
        lo: usize,
        hi: usize,
        allow_links: bool,
        depth: usize,
        count: &mut usize,
    ) -> Result<Vec<Inline>, String> {
        let link_at = |x: usize| if allow_links { self.links[x] } else { None };
        // em[x - lo] / strong[x - lo]: the closer a scan from x reaches, if any.
        let (mut em, mut strong) = (vec![None; hi - lo + 1], vec![None; hi - lo + 1]);
        for x in (lo..hi).rev() {
            let (i, next) = (x - lo, x + 1 - lo);
            if let Some(link) = link_at(x) {
                (em[i], strong[i]) = (em[link.end - lo], strong[link.end - lo]);
            } else if self.toks[x] == Tok::Star {
                let (pair, open, close) =
                    (self.star_pair(x, hi), self.may_open(x), self.may_close(x));
                em[i] = match strong.get(next + 1).copied().flatten() {
                    Some(c) if pair && open && c > x + 2 => em[c + 2 - lo],
                    _ if close => Some(x),
                    _ => em[next],
                };
                strong[i] = match em[next] {
                    _ if pair && close => Some(x),
                    Some(c) if !pair && open && c > x + 1 => strong[c + 1 - lo],
                    _ => strong[next],
                };
            } else {
                (em[i], strong[i]) = (em[next], strong[next]);
            }
        }
        // Where `**` or `*` opening at x closes, if it opens at all.
        let strong_ok = |x: usize| {
            let close = strong.get(x + 2 - lo).copied().flatten();
            close.filter(|&c| self.star_pair(x, hi) && self.may_open(x) && c > x + 2)
        };
        let em_ok = |x: usize| {
            let close = em[x + 1 - lo].filter(|&c| c > x + 1);
            close.filter(|_| !self.star_pair(x, hi) && self.may_open(x))
        };

        let (mut top, mut frames) = (Vec::new(), Vec::<Frame>::new());
        let mut x = lo;
        loop {
            if frames.last().is_some_and(|f| f.close == x) {
                if let Some(done) = frames.pop() {
                    let delimiter = done.ctx.delimiter();
                    x += delimiter.len();
                    let sink = sink(&mut top, &mut frames);
                    match (done.flat, done.ctx) {
                        (true, _) => push_text(sink, delimiter),
                        (false, Ctx::Em) => sink.push(Inline::Emphasis(done.nodes)),
                        (false, _) => sink.push(Inline::Strong(done.nodes)),
                    }
                }
                continue;
            }
            if x >= hi {
                break;
            }
            let ctx = frames.last().map_or(Ctx::Top, |f| f.ctx);
            let open = match ctx {
                _ if self.toks[x] != Tok::Star => None,
                Ctx::Top => strong_ok(x)
                    .map(|c| (Ctx::Strong, c))
                    .or_else(|| em_ok(x).map(|c| (Ctx::Em, c))),
                Ctx::Em => strong_ok(x).map(|c| (Ctx::Strong, c)),
                Ctx::Strong => em_ok(x).map(|c| (Ctx::Em, c)),
            };
            if let Some((ctx, close)) = open {
                let flat = depth + frames.len() >= MAX_NESTING;
                if flat {
                    push_text(sink(&mut top, &mut frames), ctx.delimiter());
                }
                x += ctx.delimiter().len();
                frames.push(Frame {
                    ctx,
                    close,
                    flat,
                    nodes: Vec::new(),
                });
            } else if let Some(link) = link_at(x) {
                let node = self.link(link, depth + frames.len() + 1, count)?;
                let sink = sink(&mut top, &mut frames);
                match node {
                    Ok(link) => sink.push(link),
                    Err(label) => label.into_iter().for_each(|n| push_node(sink, n)),
                }
                x = link.end;
            } else {
                let mut buf = [0; 4];
                let text = self.toks[x].as_char().encode_utf8(&mut buf);
                push_text(sink(&mut top, &mut frames), text);
                x += 1;
            }
        }
        debug_assert!(frames.is_empty(), "every opened element has a closer");
        Ok(top)
    }

    /// Builds a link; `Ok(Err(label))` when a lenient parse drops a bad URL.
    fn link(
        &self,
        span: LinkSpan,
        depth: usize,
        count: &mut usize,
    ) -> Result<Result<Inline, Vec<Inline>>, String> {
        *count += 1;
        let n = *count;
        let url: String = self.toks[span.url.0..span.url.1]
            .iter()
            .map(|t| t.as_char())
            .collect();
        let label = self.parse_range(span.label.0, span.label.1, false, depth, count)?;
        match check_url(&url, true) {
            Ok(()) => Ok(Ok(Inline::Link { label, url })),
            Err(message) if self.strict => Err(format!("link {n}: {}", link_message(&message))),
            Err(_) => Ok(Err(label)),
        }
    }
}

/// Phrases a URL problem for a link inside text, e.g. "url must have a host".
fn link_message(message: &str) -> String {
    if message.starts_with("only ") {
        message.to_owned()
    } else {
        format!("url {message}")
    }
}

/// Where output goes: the innermost element that is not flattened, else the top level.
/// Flattened frames only ever sit above the others, so at most `MAX_NESTING` are looked at.
fn sink<'a>(top: &'a mut Vec<Inline>, frames: &'a mut [Frame]) -> &'a mut Vec<Inline> {
    match frames.iter_mut().take_while(|f| !f.flat).last() {
        Some(frame) => &mut frame.nodes,
        None => top,
    }
}

fn push_text(nodes: &mut Vec<Inline>, text: &str) {
    if let Some(Inline::Text(last)) = nodes.last_mut() {
        last.push_str(text);
    } else if !text.is_empty() {
        nodes.push(Inline::Text(text.to_owned()));
    }
}

fn push_node(nodes: &mut Vec<Inline>, node: Inline) {
    match node {
        Inline::Text(text) => push_text(nodes, &text),
        other => nodes.push(other),
    }
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

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

fn plain_inlines(out: &mut String, nodes: &[Inline]) {
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
    use super::*;
    use serde_json::{Value, json};

    const OUR_TAGS: [&str; 13] = [
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
    const OUR_ATTRS: [&str; 5] = ["href", "rel", "class", "data-image-id", "data-caption-id"];
    const ONLY_LINKS: &str = "link 1: only http, https and mailto links are allowed";
    const BAD_CHARS: &str =
        "must not contain spaces, quotes, angle brackets, backslashes or control characters";

    fn p(text: &str) -> Block {
        Block::Paragraph { text: text.into() }
    }

    fn parse(body: Value) -> Vec<Block> {
        serde_json::from_value(body).unwrap()
    }

    /// Validation errors, as "field: message", of `block` placed after `index` good ones.
    fn errs_at(index: usize, block: Value) -> Vec<String> {
        let mut body = vec![json!({"type": "paragraph", "text": "fine"}); index];
        body.push(block);
        let errors = validate(&parse(Value::Array(body)));
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    fn errs(block: Value) -> Vec<String> {
        errs_at(0, block)
    }

    fn t(text: &str) -> Inline {
        Inline::Text(text.into())
    }

    fn em(children: Vec<Inline>) -> Inline {
        Inline::Emphasis(children)
    }

    fn strong(children: Vec<Inline>) -> Inline {
        Inline::Strong(children)
    }

    fn link(label: Vec<Inline>, url: &str) -> Inline {
        Inline::Link {
            label,
            url: url.into(),
        }
    }

    fn html_of(text: &str) -> String {
        render_html(&[p(text)])
    }

    fn depth(nodes: &[Inline]) -> usize {
        let one = |n: &Inline| match n {
            Inline::Text(_) => 0,
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Link { label: c, .. } => 1 + depth(c),
        };
        nodes.iter().map(one).max().unwrap_or(0)
    }

    /// No `<script`; every tag is one of ours with only our attributes, all double-quoted;
    /// every href is http(s) or mailto.
    fn assert_safe(html: &str) {
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
    fn assert_no_handlers(html: &str) {
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

    // --- inline markup ---

    #[test]
    fn parses_basic_markup() {
        assert_eq!(parse_inline("").unwrap(), []);
        assert_eq!(parse_inline("plain").unwrap(), [t("plain")]);
        assert_eq!(
            parse_inline("a *b* c").unwrap(),
            [t("a "), em(vec![t("b")]), t(" c")]
        );
        assert_eq!(parse_inline("**b**").unwrap(), [strong(vec![t("b")])]);
        let url = "https://x.example/a?b=c#d";
        assert_eq!(
            parse_inline(&format!("[l]({url})")).unwrap(),
            [link(vec![t("l")], url)]
        );
        let mail = "mailto:desk@news.example";
        assert_eq!(
            parse_inline(&format!("[m]({mail})")).unwrap(),
            [link(vec![t("m")], mail)]
        );
    }

    #[test]
    fn parses_nesting() {
        let x = "https://x.example";
        let parsed = |text: &str| parse_inline(text).unwrap();
        assert_eq!(
            parsed("**bold *and em***"),
            [strong(vec![t("bold "), em(vec![t("and em")])])]
        );
        assert_eq!(
            parsed("*em **strong** em*"),
            [em(vec![t("em "), strong(vec![t("strong")]), t(" em")])]
        );
        assert_eq!(
            parsed("*em [link](https://x.example)*"),
            [em(vec![t("em "), link(vec![t("link")], x)])]
        );
        assert_eq!(
            parsed("**[a](https://x.example) b**"),
            [strong(vec![link(vec![t("a")], x), t(" b")])]
        );
        assert_eq!(
            parsed("[**b** *i*](https://x.example)"),
            [link(
                vec![strong(vec![t("b")]), t(" "), em(vec![t("i")])],
                x
            )]
        );
        assert_eq!(parsed("***both***"), [strong(vec![em(vec![t("both")])])]);
        // Emphasis cannot straddle a link label: the `*` inside the label is literal.
        assert_eq!(
            parsed("*a [b*](https://x.example)"),
            [t("*a "), link(vec![t("b*")], x)]
        );
    }

    #[test]
    fn links_do_not_nest() {
        let x = "https://x.example";
        // A `[` followed by another `[` before any `]` is literal: the inner one links.
        let parsed = parse_inline("[a [b](https://x.example)](https://y.example)").unwrap();
        assert_eq!(
            parsed,
            [t("[a "), link(vec![t("b")], x), t("](https://y.example)")]
        );
    }

    #[test]
    fn unmatched_delimiters_are_literal() {
        for text in [
            "2 * 3 = 6",
            "*open",
            "close*",
            "**",
            "****",
            "a ** b",
            "[not a link",
            "[x]",
            "[x] (y)",
            "[](https://x.example)",
            "[x](https://x.example",
            "a]b)c",
            "(x)",
        ] {
            assert_eq!(parse_inline(text).unwrap(), [t(text)], "{text}");
        }
        // A `*` run opens only before a non-space and closes only after one.
        for text in [
            "2 * 3 * 4",
            "5 ** 2 ** 3",
            "Price* and *terms",
            "* a *",
            "a * b*",
            "*a *",
        ] {
            assert_eq!(parse_inline(text).unwrap(), [t(text)], "{text}");
        }
        assert_eq!(parse_inline("*a**").unwrap(), [em(vec![t("a")]), t("*")]);
        assert_eq!(parse_inline("***a*").unwrap(), [t("**"), em(vec![t("a")])]);
        assert_eq!(parse_inline("**a*").unwrap(), [t("*"), em(vec![t("a")])]);
    }

    #[test]
    fn escapes() {
        let parsed = |text: &str| parse_inline(text).unwrap();
        assert_eq!(parsed(r"\*not em\*"), [t("*not em*")]);
        assert_eq!(
            parsed(r"\[x\](https://a.example)"),
            [t("[x](https://a.example)")]
        );
        assert_eq!(parsed(r"a\\b"), [t(r"a\b")]);
        assert_eq!(parsed(r"\\*em*"), [t("\\"), em(vec![t("em")])]);
        assert_eq!(parsed(r"*a \* b*"), [em(vec![t("a * b")])]);
        let x = "https://x.example";
        assert_eq!(
            parsed(r"[a \] b](https://x.example)"),
            [link(vec![t("a ] b")], x)]
        );
        // Any other backslash is kept as it is.
        assert_eq!(parsed(r"C:\path\n and \"), [t(r"C:\path\n and \")]);
    }

    #[test]
    fn hostile_markup_is_shallow_and_fast() {
        // 2,000 levels of alternating strong/emphasis: capped, the rest stays literal.
        let deep = "**a *b ".repeat(1_000) + &"c* d** ".repeat(1_000);
        let nodes = parse_inline(&deep).unwrap();
        assert_eq!(depth(&nodes), MAX_NESTING);
        // Fine on a small stack too (actix workers do not get the main thread's 8 MiB).
        let body = vec![p(&deep)];
        let small = std::thread::Builder::new().stack_size(256 * 1024);
        let html = small
            .spawn(move || render_html(&body))
            .unwrap()
            .join()
            .unwrap();
        assert!(html.starts_with("<p><strong>a <em>b <strong>"));
        let plain = render_text(&[p(&deep)]);
        assert_eq!(
            plain.matches('*').count(),
            3 * (1_000 - MAX_NESTING / 2) * 2
        );
        let x = "[a](https://x.example) ";
        let with_links = format!(
            "{}{}{}",
            "*q **q ".repeat(1_000),
            x.repeat(9),
            "q** q* ".repeat(1_000)
        );
        // Links sit inside the deepest element; their labels get no further elements.
        let nodes = parse_inline(&with_links).unwrap();
        assert_eq!(depth(&nodes), MAX_NESTING + 1);
        let x = "[*a **b** a*](https://x.example) ";
        let with_links = format!("{}{}{}", "*q **q ".repeat(7), x, "q** q* ".repeat(7));
        // 14 levels, the link, the label's `*…*`; its `**…**` would be level 17.
        assert_eq!(depth(&parse_inline(&with_links).unwrap()), MAX_NESTING);
        let start = std::time::Instant::now();
        for text in [
            "[".repeat(20_000),
            "*".repeat(20_000),
            "[a](".repeat(5_000),
            "[a]".repeat(6_000) + "(",
            "*a ".repeat(6_000),
            "**a ".repeat(5_000),
            "**a *b ".repeat(2_800),
        ] {
            let _ = parse_inline(&text);
            assert_safe(&html_of(&text));
        }
        assert!(start.elapsed().as_millis() < 1_000, "{:?}", start.elapsed());
    }

    #[test]
    fn pseudo_random_markup_keeps_every_letter() {
        // Deterministic LCG over markup fragments: the parser's debug assertion checks that
        // every element it opens closes, and no letter is lost or invented.
        let pieces = [
            "q",
            "q ",
            "*",
            "**",
            "[",
            "]",
            "](https://x.example)",
            ")",
            r"\*",
            r"\",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for _ in 0..5_000 {
            let text: String = (0..next() % 24)
                .map(|_| pieces[next() % pieces.len()])
                .collect();
            let mut plain = String::new();
            plain_inlines(&mut plain, &parse_inline(&text).unwrap());
            let letters = |s: &str| s.matches('q').count();
            assert_eq!(letters(&plain), letters(&text), "{text:?}");
            assert_safe(&html_of(&text));
        }
    }

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
                image_id: "i1".to_owned(),
                caption_id: Some("c1".to_owned()),
            },
            Block::Paragraph {
                text: "Between.".to_owned(),
            },
            Block::Image {
                image_id: "gone".to_owned(),
                caption_id: None,
            },
        ];
        let stored = render_html(&blocks);
        let picture = crate::images::Picture {
            image_id: "i1".to_owned(),
            caption_id: Some("c1".to_owned()),
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
