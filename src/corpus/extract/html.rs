//! HTML (saved web pages, HTML e-mail exports): the text a reader sees.
//!
//! Parsed with `scraper`, i.e. Servo's `html5ever`, the browser-grade
//! parser that applies the HTML standard's error recovery: real pages have
//! unclosed `<p>`s, stray `</div>`s and `<` in text, and a hand-written
//! tokenizer or a lenient XML parser gets those wrong in ways that leak
//! markup or lose text. html5ever also decodes every named, decimal and
//! hexadecimal character reference. `scraper` wraps it with a ready-made
//! tree; the walk below is iterative, so deeply nested pages cannot
//! overflow the stack.
//!
//! What is kept: the `<title>` as the first line, then the body's text with
//! block elements on their own lines and table cells separated by tabs.
//! What is dropped: scripts, styles, `<noscript>`, `<template>`, hidden
//! elements, and navigation boilerplate that markup identifies (`<nav>`,
//! `<aside>`, page-level `<header>`/`<footer>`, and ARIA landmark roles for
//! navigation, banners, footers, sidebars and search). Boilerplate marked
//! only by class names (`<div class="menu">`) cannot be told apart reliably
//! and is kept.

use super::text::extract_text;
use encoding_rs::Encoding;
use scraper::node::Element;
use scraper::{Html, Node};

/// How far into a file to look for the first tag and for `<meta charset>`:
/// the HTML standard looks at 1024 bytes for the charset; saved pages often
/// start with a long comment, so a little more is allowed.
const SNIFF_BYTES: usize = 4096;

/// Tags that, as the first thing in a file, make it HTML.
const HTML_START_TAGS: &[&[u8]] = &[
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<meta",
    b"<title",
];

/// Whether a file starts like an HTML document: after an optional byte
/// order mark, white space, comments and an XML declaration, the first tag
/// is one of [`HTML_START_TAGS`] (any case).
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    match Encoding::for_bom(head) {
        Some((encoding, bom_len)) if encoding != encoding_rs::UTF_8 => {
            let (text, _) = encoding.decode_without_bom_handling(&head[bom_len..]);
            starts_with_html_tag(text.as_bytes())
        }
        Some((_, bom_len)) => starts_with_html_tag(&head[bom_len..]),
        None => starts_with_html_tag(head),
    }
}

fn starts_with_html_tag(mut s: &[u8]) -> bool {
    loop {
        s = s.trim_ascii_start();
        let end = if s.starts_with(b"<!--") {
            find(s, b"-->").map(|i| i + 3)
        } else if s.starts_with(b"<?") {
            find(s, b"?>").map(|i| i + 2)
        } else {
            break;
        };
        match end {
            Some(end) => s = &s[end..],
            None => return false,
        }
    }
    HTML_START_TAGS.iter().any(|tag| {
        s.len() > tag.len()
            && s[..tag.len()].eq_ignore_ascii_case(tag)
            && matches!(
                s[tag.len()],
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>' | b'/'
            )
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Extracts the visible text of an HTML document.
pub fn extract_html(bytes: &[u8]) -> Result<String, String> {
    let source = decode_html(bytes)?;
    let document = Html::parse_document(&source);
    Ok(visible_text(&document))
}

/// The page's characters: a byte order mark wins, then the encoding the
/// page declares (`<meta charset>` or `<meta http-equiv="Content-Type">`),
/// then the plain-text detection (UTF-8, else a statistical guess).
fn decode_html(bytes: &[u8]) -> Result<String, String> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(text.into_owned());
    }
    if let Some(encoding) = declared_encoding(&bytes[..bytes.len().min(SNIFF_BYTES)]) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return Ok(text.into_owned());
    }
    extract_text(bytes)
}

/// The encoding declared by the first `<meta>` tag that declares one.
fn declared_encoding(head: &[u8]) -> Option<&'static Encoding> {
    let mut rest = head;
    while let Some(at) = find_ignore_case(rest, b"<meta") {
        rest = &rest[at + 5..];
        if !rest
            .first()
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b'/')
        {
            continue;
        }
        let attributes = tag_attributes(rest);
        let label = attributes
            .iter()
            .find(|(name, _)| name == "charset")
            .map(|(_, value)| value.clone())
            .or_else(|| {
                let is_content_type = attributes.iter().any(|(name, value)| {
                    name == "http-equiv" && value.eq_ignore_ascii_case("content-type")
                });
                attributes
                    .iter()
                    .find(|(name, _)| is_content_type && name == "content")
                    .and_then(|(_, value)| charset_in_content(value))
            });
        if let Some(encoding) = label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
            // The HTML standard: a page cannot declare itself UTF-16 (it
            // could not have been read to find the tag), and
            // "x-user-defined" means windows-1252.
            return Some(match encoding.name() {
                "UTF-16LE" | "UTF-16BE" => encoding_rs::UTF_8,
                "x-user-defined" => encoding_rs::WINDOWS_1252,
                _ => encoding,
            });
        }
    }
    None
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The attributes of a tag, from just after its name to its `>`: names in
/// lower case, values unquoted. Enough for `<meta>`; not a general parser.
fn tag_attributes(mut s: &[u8]) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    loop {
        while let Some((&b, rest)) = s.split_first() {
            if b.is_ascii_whitespace() || b == b'/' {
                s = rest;
            } else {
                break;
            }
        }
        match s.first() {
            None | Some(b'>') => return attributes,
            _ => {}
        }
        let name_len = s
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'=' || b == b'>' || b == b'/')
            .unwrap_or(s.len());
        let name = String::from_utf8_lossy(&s[..name_len]).to_ascii_lowercase();
        s = s[name_len..].trim_ascii_start();
        let mut value = String::new();
        if let Some(rest) = s.strip_prefix(b"=") {
            s = rest.trim_ascii_start();
            let (raw, rest) = match s.first() {
                Some(&quote @ (b'"' | b'\'')) => {
                    let body = &s[1..];
                    let end = body.iter().position(|&b| b == quote).unwrap_or(body.len());
                    (&body[..end], body.get(end + 1..).unwrap_or_default())
                }
                _ => {
                    let end = s
                        .iter()
                        .position(|&b| b.is_ascii_whitespace() || b == b'>')
                        .unwrap_or(s.len());
                    (&s[..end], &s[end..])
                }
            };
            value = String::from_utf8_lossy(raw).into_owned();
            s = rest;
        }
        if name.is_empty() {
            // A stray character that starts no name: step over it.
            s = s.get(1..).unwrap_or_default();
        } else {
            attributes.push((name, value));
        }
    }
}

/// `text/html; charset=gbk` -> `gbk`.
fn charset_in_content(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let at = lower.find("charset")?;
    let rest = content[at + "charset".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_string())
}

/// Elements whose content is never shown, or is not content.
const INVISIBLE: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed", "svg",
    "math", "canvas", "select", "datalist", "nav", "aside",
];

/// ARIA landmark roles of page furniture rather than content.
const BOILERPLATE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
];

/// Elements inside which `<header>` and `<footer>` are an article's or a
/// section's own heading and by-line (content), not the page's banner and
/// footer (boilerplate): the rule ARIA uses for the banner and contentinfo
/// roles.
const SECTIONING: &[&str] = &["article", "main", "section"];

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "listing",
    "main",
    "menu",
    "ol",
    "p",
    "plaintext",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
    "xmp",
];

fn is_hidden(element: &Element, sectioning_depth: usize) -> bool {
    let name = element.name();
    if INVISIBLE.contains(&name) {
        return true;
    }
    if matches!(name, "header" | "footer") && sectioning_depth == 0 {
        return true;
    }
    if element.attr("hidden").is_some() {
        return true;
    }
    if let Some(role) = element.attr("role") {
        let role = role.trim().to_ascii_lowercase();
        // A role attribute may list fallbacks; the first one applies.
        if let Some(first) = role.split_ascii_whitespace().next() {
            if BOILERPLATE_ROLES.contains(&first) {
                return true;
            }
        }
    }
    if let Some(style) = element.attr("style") {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    false
}

/// The text of a parsed page: title first, then the visible body text.
fn visible_text(document: &Html) -> String {
    let mut out = TextBuilder::default();
    if let Some(title) = title(document) {
        out.text(&title);
        out.gap(Gap::Line);
    }
    // Depth inside an element being skipped: every element opened inside
    // it is counted, so the skipped element's own close brings it to 0.
    let mut skip_depth = 0usize;
    let mut sectioning_depth = 0usize;
    let mut pre_depth = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    if skip_depth > 0 || is_hidden(element, sectioning_depth) {
                        skip_depth += 1;
                        continue;
                    }
                    let name = element.name();
                    if SECTIONING.contains(&name) {
                        sectioning_depth += 1;
                    }
                    if matches!(name, "pre" | "listing" | "plaintext" | "xmp" | "textarea") {
                        pre_depth += 1;
                    }
                    if BLOCKS.contains(&name) {
                        out.gap(Gap::Line);
                    }
                }
                Node::Text(text) if skip_depth == 0 => {
                    if pre_depth > 0 {
                        out.preformatted(text);
                    } else {
                        out.text(text);
                    }
                }
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                let Node::Element(element) = node.value() else {
                    continue;
                };
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                let name = element.name();
                if SECTIONING.contains(&name) {
                    sectioning_depth = sectioning_depth.saturating_sub(1);
                }
                if matches!(name, "pre" | "listing" | "plaintext" | "xmp" | "textarea") {
                    pre_depth = pre_depth.saturating_sub(1);
                }
                if BLOCKS.contains(&name) {
                    out.gap(Gap::Line);
                } else if matches!(name, "td" | "th") {
                    out.gap(Gap::Tab);
                }
            }
        }
    }
    out.finish()
}

/// The document's `<title>` (the first one outside SVG), white space
/// collapsed.
fn title(document: &Html) -> Option<String> {
    let node = document.tree.root().descendants().find(|n| {
        n.value().as_element().is_some_and(|e| e.name() == "title")
            && !n
                .ancestors()
                .any(|a| a.value().as_element().is_some_and(|e| e.name() == "svg"))
    })?;
    let mut out = TextBuilder::default();
    for child in node.descendants() {
        if let Node::Text(text) = child.value() {
            out.text(text);
        }
    }
    let title = out.finish();
    (!title.is_empty()).then_some(title)
}

/// Pending white space between two pieces of text, strongest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
enum Gap {
    #[default]
    None,
    Space,
    Tab,
    Line,
}

/// Builds text with HTML's white space rules: runs of white space in the
/// source are one space, and block boundaries are one line break however
/// many nest there. Nothing is written before the first text or after the
/// last.
#[derive(Default)]
struct TextBuilder {
    out: String,
    gap: Gap,
}

impl TextBuilder {
    fn gap(&mut self, gap: Gap) {
        self.gap = self.gap.max(gap);
    }

    fn flush_gap(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            match self.gap {
                Gap::None => {}
                Gap::Space => {
                    if !self.out.ends_with(['\t', ' ']) {
                        self.out.push(' ');
                    }
                }
                Gap::Tab => {
                    if self.out.ends_with(' ') {
                        self.out.pop();
                    }
                    self.out.push('\t');
                }
                Gap::Line => {
                    while self.out.ends_with([' ', '\t']) {
                        self.out.pop();
                    }
                    self.out.push('\n');
                }
            }
        }
        self.gap = Gap::None;
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_whitespace() {
                self.gap(Gap::Space);
            } else {
                self.flush_gap();
                self.out.push(c);
            }
        }
    }

    fn preformatted(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.flush_gap();
        self.out.push_str(&text.replace("\r\n", "\n"));
    }

    fn finish(self) -> String {
        let mut out = self.out;
        out.truncate(out.trim_end().len());
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(html: &str) -> String {
        extract_html(html.as_bytes()).expect("html")
    }

    #[test]
    fn sniffs_html_starts() {
        assert!(looks_like_html(b"<!DOCTYPE html>\n<html>"));
        assert!(looks_like_html(b"\xef\xbb\xbf  <HTML lang=en>"));
        assert!(looks_like_html(
            b"<!-- saved from url=(0042)http://example.org/ -->\n<html>"
        ));
        assert!(looks_like_html(
            b"<?xml version=\"1.0\"?>\n<html xmlns=\"x\">"
        ));
        assert!(looks_like_html(b"<meta charset=utf-8><p>x"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<html><body>x".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert!(looks_like_html(&utf16));
        assert!(!looks_like_html(b"<header> is an HTML tag"));
        assert!(!looks_like_html(b"Seminar <html> notes"));
        assert!(!looks_like_html(b"<?xml version=\"1.0\"?><root/>"));
        assert!(!looks_like_html(b"<!-- never closed"));
    }

    #[test]
    fn keeps_title_and_visible_text_in_lines() {
        let text = text_of(
            "<html><head><title> Port\n seminar </title><style>p{color:red}</style></head>\
             <body><h1>Course</h1><p>Twenty <b>five</b>\n   officials.<br>Tianjin</p>\
             <ul><li>One</li><li>Two</li></ul>\
             <table><tr><th>Week</th><th>Topic</th></tr><tr><td>1</td><td>Ports</td></tr></table>\
             <pre>a  b\n c</pre></body></html>",
        );
        assert_eq!(
            text,
            "Port seminar\nCourse\nTwenty five officials.\nTianjin\nOne\nTwo\n\
             Week\tTopic\n1\tPorts\na  b\n c\n"
        );
    }

    #[test]
    fn drops_scripts_and_boilerplate_but_keeps_article_headers() {
        let text = text_of(
            "<!doctype html><body><header>Banner</header><nav>Menu</nav>\
             <div role=\"navigation\">Skip</div><div hidden>Hidden</div>\
             <p style=\"display: none\">Invisible</p><noscript>Enable JS</noscript>\
             <template><p>Tmpl</p></template><script>var x = 1;</script>\
             <article><header><h1>Kept heading</h1></header><p>Body</p>\
             <footer>By-line</footer></article><aside>Sidebar</aside>\
             <footer>Copyright</footer></body>",
        );
        assert_eq!(text, "Kept heading\nBody\nBy-line\n");
    }

    #[test]
    fn decodes_entities() {
        let text = text_of(
            "<html><body><p>R&amp;D &eacute;t&eacute; &#233; &#x4E2D;&#x56FD; &lt;b&gt; &nbsp;x</p></body></html>",
        );
        assert_eq!(text, "R&D été é 中国 <b> x\n");
    }

    #[test]
    fn finds_declared_encodings() {
        assert_eq!(
            declared_encoding(b"<html><head><meta charset=\"GBK\">"),
            Some(encoding_rs::GBK)
        );
        assert_eq!(
            declared_encoding(
                b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=windows-1251'>"
            ),
            Some(encoding_rs::WINDOWS_1251)
        );
        assert_eq!(
            declared_encoding(
                b"<meta content=\"text/html;charset=big5\" http-equiv=content-type />"
            ),
            Some(encoding_rs::BIG5)
        );
        assert_eq!(
            declared_encoding(b"<meta charset=utf-16>"),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(
            declared_encoding(b"<meta name=viewport content=\"width=1\">"),
            None
        );
        assert_eq!(declared_encoding(b"<metadata charset=gbk>"), None);
        assert_eq!(declared_encoding(b"<meta charset=nonsense>"), None);
    }

    #[test]
    fn declared_encoding_decodes_the_page() {
        let (body, _, _) = encoding_rs::WINDOWS_1251.encode(
            "<html><head><meta charset=windows-1251><title>Семинар</title></head>\
             <body><p>Таможенное администрирование</p></body></html>",
        );
        assert_eq!(
            extract_html(&body).expect("html"),
            "Семинар\nТаможенное администрирование\n"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!(
            "<html><body>{}deep{}",
            "<div>".repeat(5_000),
            "</div>".repeat(5_000)
        );
        assert_eq!(text_of(&html), "deep\n");
    }
}
