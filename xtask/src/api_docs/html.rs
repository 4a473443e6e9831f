//! Text into HTML: escaped, or Markdown rendered with any HTML in it shown as text.

use pulldown_cmark::{Event, Options, Parser};

/// `text` escaped for an element's content or a quoted attribute.
pub(crate) use shared::mail::escape_html as esc;

/// What marks a required field or parameter after its name: nothing when it is optional.
pub(crate) fn required_mark(required: bool) -> &'static str {
    if required {
        r#" <span class="required">required</span>"#
    } else {
        ""
    }
}

/// `text` (CommonMark with tables) as HTML. Markup written in it is shown, never interpreted: the
/// spec's descriptions are text about the API, and the page runs under a strict CSP anyway.
pub(crate) fn markdown(text: &str) -> String {
    let events = Parser::new_ext(text, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        event => event,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_descriptions_is_shown_not_run() {
        let html = markdown("A `code` <script>alert(1)</script> and <b onclick=x>bold</b>");
        assert!(html.contains("<code>code</code>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
