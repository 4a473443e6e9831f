//! The local tools' pages (`/_local/`): plain answers, and HTML styled as the storefront.

use std::path::Path;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};

/// A page of the local tools (`/_local/`), styled as the storefront (`styles`, its style sheet
/// links): `head` goes in its head, `body` in its main section.
pub(super) fn page(styles: &str, title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n{head}\
         <title>{} · Serverless Shop</title>\n{styles}</head>\n<body>\n<main id=\"main\">\n\
         <section>\n{body}</section>\n</main>\n</body>\n</html>\n",
        crate::api_docs::html::esc(title)
    )
}

/// The style sheet links of the storefront's `index.html` in `web`, as they are: an uploaded
/// storefront names its files after their content.
/// The storefront's own names (`web/`) when its index names none.
pub(super) fn storefront_styles(web: &Path) -> String {
    let index = std::fs::read_to_string(web.join("index.html")).unwrap_or_default();
    let links: String = index
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("<link rel=\"stylesheet\""))
        .map(|line| format!("{line}\n"))
        .collect();
    if links.is_empty() {
        String::from(
            "<link rel=\"stylesheet\" href=\"/theme.css\">\n<link rel=\"stylesheet\" href=\"/styles.css\">\n",
        )
    } else {
        links
    }
}

/// Whether a request's `Host` names this machine: the local tools show log lines and e-mail
/// links, which a page of another site, its name rebound to 127.0.0.1, must not read.
pub(super) fn from_this_machine(host: Option<&str>) -> bool {
    let Some(host) = host else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

pub(super) fn plain(
    status: StatusCode,
    content_type: &'static str,
    body: &str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_tools_answer_this_machine_by_name_only() {
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "[::1]:3000",
            "localhost",
        ] {
            assert!(from_this_machine(Some(host)), "{host}");
        }
        for host in ["evil.example:3000", "127.0.0.1.evil.example", "[::1]x", ""] {
            assert!(!from_this_machine(Some(host)), "{host}");
        }
        assert!(!from_this_machine(None));
    }

    #[test]
    fn pages_use_the_storefronts_style_sheets_whatever_their_names() {
        let web = std::env::temp_dir().join(format!("styles-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&web).unwrap();
        assert!(
            storefront_styles(&web).contains("/theme.css"),
            "the source names"
        );
        std::fs::write(
            web.join("index.html"),
            "<head>\n    <link rel=\"stylesheet\" href=\"/theme.0123abcd.css\" />\n</head>",
        )
        .unwrap();
        assert_eq!(
            storefront_styles(&web),
            "<link rel=\"stylesheet\" href=\"/theme.0123abcd.css\" />\n"
        );
        std::fs::remove_dir_all(web).unwrap();
    }
}
