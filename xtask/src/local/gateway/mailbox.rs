//! The local mailbox: every e-mail the shop "sent" through moto's SES, so that a person trying the
//! local shop can open a receipt or follow a link from a message, and tests can read them. Only
//! the local gateway has it; nothing of it is deployed.
//!
//! | path                    | answer                                                           |
//! |-------------------------|------------------------------------------------------------------|
//! | `/_local/mail`          | a page listing the messages, newest first, with their text parts |
//! | `/_local/mail.json`     | the same as JSON: `{"messages": [...]}`                          |
//! | `/_local/mail/<id>.html`| a message's HTML part, under the shop's content security policy  |
//!
//! moto keeps what SES was given and shows it in `/moto-api/data.json` (the shop sends raw MIME,
//! so both parts of a message are kept; a simple message keeps one body, shown as text).

use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use serde_json::Value;

use super::pages::plain;
use crate::api_docs::html::esc as escape;
use crate::http_client;

/// The path the mailbox lives under.
pub(super) const PREFIX: &str = "/_local/mail";

/// One e-mail, as the mailbox shows it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Mail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// RFC 3339, as the message's `Date` header says; `None` without one.
    pub date: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// File names of the attachments.
    pub attachments: Vec<String>,
    /// Every `http(s)://` address in the text part, in order: the links to follow.
    pub links: Vec<String>,
}

/// Whether `path` is the mailbox's.
pub(super) fn serves(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest == ".json" || rest.starts_with('/'))
}

/// Answers a request for `path` (one [`serves`]) from the SES at `ses` (moto's address).
pub(super) async fn answer(
    path: &str,
    ses: Option<SocketAddr>,
    styles: &str,
) -> Response<Full<Bytes>> {
    let Some(ses) = ses else {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            "no local SES: AWS_ENDPOINT_URL_SESV2 names none",
        );
    };
    let mail = match sent(ses).await {
        Ok(mail) => mail,
        Err(err) => {
            return plain(
                StatusCode::BAD_GATEWAY,
                "text/plain; charset=utf-8",
                &format!("moto's SES did not say what it sent: {err}"),
            );
        }
    };
    let rest = &path[PREFIX.len()..];
    match rest {
        "" | "/" => plain(
            StatusCode::OK,
            "text/html; charset=utf-8",
            &page(&mail, styles),
        ),
        ".json" => plain(
            StatusCode::OK,
            "application/json",
            &serde_json::json!({ "messages": mail }).to_string(),
        ),
        _ => {
            let html = rest
                .strip_prefix('/')
                .and_then(|file| file.strip_suffix(".html"))
                .and_then(|id| mail.into_iter().find(|mail| mail.id == id))
                .and_then(|mail| mail.html);
            match html {
                Some(html) => plain(StatusCode::OK, "text/html; charset=utf-8", &html),
                None => plain(
                    StatusCode::NOT_FOUND,
                    "text/plain; charset=utf-8",
                    "no such message, or it has no HTML part",
                ),
            }
        }
    }
}

/// What moto's SES has sent, newest first. moto serialises all of its state for this, and now
/// and then fails while another request changes it: ask again, a few times.
async fn sent(ses: SocketAddr) -> crate::Result<Vec<Mail>> {
    let mut last = String::new();
    for attempt in 0..5u64 {
        tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
        let reply = http_client::send(ses, "GET", "/moto-api/data.json", None, None).await;
        match serde_json::from_slice::<Value>(&reply.body) {
            Ok(data) if reply.status == 200 => return Ok(mail_of(&data)),
            _ => last = format!("status {}", reply.status),
        }
    }
    Err(last.into())
}

/// The messages in moto's state (`ses.RawMessage` and `ses.Message`), newest first.
pub fn mail_of(data: &Value) -> Vec<Mail> {
    let listed =
        |model: &str| -> Vec<Value> { data["ses"][model].as_array().cloned().unwrap_or_default() };
    let mut mail: Vec<Mail> = listed("RawMessage")
        .iter()
        .filter_map(|message| {
            let id = message["id"].as_str()?;
            parse_raw(id, message["raw_data"].as_str()?)
        })
        .chain(listed("Message").iter().filter_map(simple))
        .collect();
    mail.reverse();
    mail
}

/// A raw MIME message, with its text and HTML parts and the names of its attachments.
pub fn parse_raw(id: &str, raw: &str) -> Option<Mail> {
    let message = MessageParser::default().parse(raw.as_bytes())?;
    let addresses = |address: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        address
            .into_iter()
            .flat_map(mail_parser::Address::iter)
            .filter_map(|addr| addr.address().map(str::to_owned))
            .collect()
    };
    let text = message
        .body_text(0)
        .map(|text| text.into_owned())
        .unwrap_or_default();
    // `body_html` would turn a text part into HTML when there is no HTML part: only a real one.
    let html = message.html_part(0).and_then(|part| match &part.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    Some(Mail {
        id: id.to_owned(),
        from: addresses(message.from()).join(", "),
        to: addresses(message.to()),
        subject: message.subject().unwrap_or_default().to_owned(),
        date: message.date().map(mail_parser::DateTime::to_rfc3339),
        links: links(&text),
        text,
        html,
        attachments: message
            .attachments()
            .filter_map(|part| part.attachment_name().map(str::to_owned))
            .collect(),
    })
}

/// A message sent as SES's simple content: moto keeps one body (the HTML one if there was one).
fn simple(message: &Value) -> Option<Mail> {
    let body = message["body"].as_str()?.to_owned();
    let to = message["destinations"]["ToAddresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|address| address.as_str().map(str::to_owned))
        .collect();
    Some(Mail {
        id: message["id"].as_str()?.to_owned(),
        from: message["source"].as_str().unwrap_or_default().to_owned(),
        to,
        subject: message["subject"].as_str().unwrap_or_default().to_owned(),
        date: None,
        links: links(&body),
        text: body,
        html: None,
        attachments: Vec::new(),
    })
}

/// The `http://` and `https://` addresses in `text`, in order.
fn links(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')'))
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|word| word.trim_end_matches(['.', ',', ';', ':']).to_owned())
        .collect()
}

/// The mailbox as a page: plain HTML, styled by the storefront's own style sheets (the content
/// security policy allows nothing inline), every message's text as it was sent.
fn page(mail: &[Mail], styles: &str) -> String {
    let mut html = String::from(
        "<h1>Local mailbox</h1>\n\
         <p>Every e-mail the local shop sent, newest first. Nothing here leaves this machine; \
         <a href=\"/_local/mail.json\">the same as JSON</a>.</p>\n",
    );
    if mail.is_empty() {
        html.push_str("<p class=\"notice info\">No e-mail has been sent yet.</p>\n");
    }
    for message in mail {
        html.push_str(&format!(
            "<article class=\"mail\">\n<h2>{}</h2>\n<dl>\n<dt>From</dt><dd>{}</dd>\n\
             <dt>To</dt><dd>{}</dd>\n<dt>Date</dt><dd>{}</dd>\n",
            escape(&message.subject),
            escape(&message.from),
            escape(&message.to.join(", ")),
            escape(message.date.as_deref().unwrap_or("-")),
        ));
        if !message.attachments.is_empty() {
            html.push_str(&format!(
                "<dt>Attached</dt><dd>{}</dd>\n",
                escape(&message.attachments.join(", "))
            ));
        }
        html.push_str("</dl>\n");
        if message.html.is_some() {
            html.push_str(&format!(
                "<p><a href=\"{PREFIX}/{}.html\">The HTML version</a></p>\n",
                escape(&message.id)
            ));
        }
        html.push_str(&format!("<pre>{}</pre>\n", escape(&message.text)));
        for link in &message.links {
            html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>\n", escape(link)));
        }
        html.push_str("</article>\n");
    }
    super::pages::page(styles, "Local mailbox", "", &html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RAW: &str = "From: Shop <shop@example.com>\r\nTo: ada@example.com\r\n\
        Subject: Confirm your address\r\nDate: Thu, 26 Nov 2026 20:00:00 +0000\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Open http://127.0.0.1:3000/#/verify?token=abc. Thanks.\r\n\
        --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <p><a href=\"http://127.0.0.1:3000/#/verify?token=abc\">Confirm</a></p>\r\n--b--\r\n";

    #[test]
    fn a_raw_message_shows_both_parts_and_its_links() {
        let mail = parse_raw("m1", RAW).unwrap();
        assert_eq!(mail.from, "shop@example.com");
        assert_eq!(mail.to, ["ada@example.com"]);
        assert_eq!(mail.subject, "Confirm your address");
        assert_eq!(mail.date.as_deref(), Some("2026-11-26T20:00:00Z"));
        assert!(mail.text.starts_with("Open http://"));
        assert!(mail.html.as_deref().unwrap().contains("<a href="));
        assert_eq!(mail.links, ["http://127.0.0.1:3000/#/verify?token=abc"]);
        assert!(mail.attachments.is_empty());
    }

    #[test]
    fn a_text_only_message_has_no_html_part_and_the_newest_comes_first() {
        let text_only =
            "From: shop@example.com\r\nTo: ada@example.com\r\nSubject: Hi\r\n\r\nHello\r\n";
        let data = json!({"ses": {
            "RawMessage": [
                {"id": "old", "raw_data": RAW},
                {"id": "new", "raw_data": text_only},
            ],
            "Message": [{"id": "simple", "source": "shop@example.com", "subject": "S",
                         "body": "Body", "destinations": {"ToAddresses": ["grace@example.com"]}}],
        }});
        let mail = mail_of(&data);
        let ids: Vec<&str> = mail.iter().map(|mail| mail.id.as_str()).collect();
        assert_eq!(ids, ["simple", "new", "old"]);
        assert_eq!(mail[1].text.trim(), "Hello");
        assert_eq!(mail[1].html, None);
        assert_eq!(mail[0].to, ["grace@example.com"]);
    }

    #[test]
    fn the_page_shows_what_was_sent_as_text() {
        let mut mail = parse_raw("m1", RAW).unwrap();
        mail.subject = "<script>alert(1)</script>".into();
        let html = page(&[mail], "");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("href=\"/_local/mail/m1.html\""));
        assert!(html.contains("<a href=\"http://127.0.0.1:3000/#/verify?token=abc\">"));
        assert!(page(&[], "").contains("No e-mail has been sent yet."));
    }
}
