//! Inline markup: `*emphasis*`, `**strong**`, `[label](url)` and backslash escapes, parsed
//! into [`Inline`] nodes with bounded nesting.

use super::{Inline, MAX_NESTING, check_url};

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
pub(super) fn parse_inline_lenient(text: &str) -> Vec<Inline> {
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

#[cfg(test)]
mod tests {
    use super::super::render::plain_inlines;
    use super::super::test_support::*;
    use super::super::{render_html, render_text};
    use super::*;

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
}
