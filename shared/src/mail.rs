//! E-mail, for the services that send it (the `mail` feature): SES v2 raw messages, the MIME
//! they are made of, and sending one e-mail per event however often the event arrives.
//!
//! **Once per event.** Before sending, a delivery claims the event's e-mail with a conditional
//! write of an item of the sending service's own table (`MAIL#<event>`, or any key it chooses);
//! once SES has the message, the claim becomes `SENT`. A repeated delivery finds it sent and
//! stops. A claim left by a function that died mid-send lapses after [`LEASE`], shorter than the
//! queue's visibility timeout, so the message's next delivery can take it over. (SES itself
//! offers no idempotency key: a send that timed out after SES took it can still be sent twice,
//! the one case this cannot close.)
//!
//! **MIME.** Header values come from validated data or constants; whatever a customer typed
//! (names) travels only in base64-encoded bodies, so nothing typed can add a header.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::ConfigError;
use crate::metrics::{self, Metric};
use crate::sqs::MessageError;
use crate::store::{StoreError, Table, conditional, n, s, to_item};

/// The name e-mails come from.
pub use crate::SHOP_NAME;

/// How long a claim to send stands: twice the consumers' timeout.
pub const LEASE: Duration = Duration::from_secs(60);

/// How long an e-mail's record is kept (`expires_at`, for a table whose TTL attribute that is):
/// longer than any queue keeps a message to deliver again (14 days at most).
const KEEP: Duration = Duration::from_secs(30 * 24 * 60 * 60);

#[derive(Debug, thiserror::Error)]
#[error("sending an e-mail failed: {detail}")]
pub struct MailError {
    detail: String,
    rejected: bool,
}

impl MailError {
    /// Whether SES refused this message for good (`MessageRejected`: in the sandbox, an
    /// address not verified with SES; or content SES will not send), rather than for now.
    pub fn is_rejected(&self) -> bool {
        self.rejected
    }
}

/// Sends raw messages through SES v2 from the shop's sender.
#[derive(Debug, Clone)]
pub struct Mailer {
    ses: aws_sdk_sesv2::Client,
    sender: String,
}

impl Mailer {
    pub fn new(ses: aws_sdk_sesv2::Client, sender: impl Into<String>) -> Self {
        Self {
            ses,
            sender: sender.into(),
        }
    }

    /// The sender in `SENDER_EMAIL` (a parameter of the template).
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_sesv2::Client::new(sdk),
            crate::config::required("SENDER_EMAIL")?,
        ))
    }

    /// Sends `message` (made by [`Email::to_mime`] with this sender); returns SES's message id.
    /// The sender and recipient are named outside the raw content too: SES and the IAM
    /// conditions on `ses:FromAddress` read them there.
    pub async fn send(&self, to: &str, message: &Email<'_>) -> Result<String, MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(message.to_mime(&self.sender)))
            .build()
            .map_err(|err| MailError {
                detail: err.to_string(),
                rejected: false,
            })?;
        let sent = self
            .ses
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map_err(|err| MailError {
                rejected: err.as_service_error().is_some_and(
                    aws_sdk_sesv2::operation::send_email::SendEmailError::is_message_rejected,
                ),
                detail: aws_sdk_sesv2::error::DisplayErrorContext(err).to_string(),
            })?;
        metrics::record(Metric::EmailsSent);
        Ok(sent.message_id.unwrap_or_default())
    }
}

/// A file sent with an e-mail.
#[derive(Debug, Clone, Copy)]
pub struct Attachment<'a> {
    /// A name made of validated parts (it goes in a header).
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// One e-mail: a plain-text body, and an HTML one or an attachment.
#[derive(Debug, Clone, Copy)]
pub struct Email<'a> {
    /// A validated address (it goes in a header).
    pub to: &'a str,
    /// Fixed text and validated parts only, ASCII (it goes in a header, unencoded).
    pub subject: &'a str,
    pub text: &'a str,
    /// The same as `text`, as an HTML document: a `multipart/alternative` message.
    pub html: Option<&'a str>,
    pub attachment: Option<Attachment<'a>>,
}

impl Email<'_> {
    /// The whole message, from `sender`.
    pub fn to_mime(&self, sender: &str) -> Vec<u8> {
        let mut out = String::new();
        out.push_str(&format!("From: {SHOP_NAME} <{sender}>\r\n"));
        out.push_str(&format!("To: {}\r\n", self.to));
        out.push_str(&format!("Subject: {}\r\n", self.subject));
        out.push_str("MIME-Version: 1.0\r\n");
        let mut parts = vec![part(
            "text/plain; charset=utf-8",
            None,
            self.text.as_bytes(),
        )];
        let kind = if let Some(html) = self.html {
            parts.push(part("text/html; charset=utf-8", None, html.as_bytes()));
            "alternative"
        } else {
            "mixed"
        };
        if let Some(file) = self.attachment {
            parts.push(part(
                &format!("{}; name=\"{}\"", file.content_type, file.filename),
                Some(&format!("attachment; filename=\"{}\"", file.filename)),
                file.bytes,
            ));
        }
        let boundary = format!("part-{}", uuid::Uuid::new_v4().simple());
        out.push_str(&format!(
            "Content-Type: multipart/{kind}; boundary=\"{boundary}\"\r\n\r\n"
        ));
        for body in parts {
            out.push_str(&format!("--{boundary}\r\n{body}"));
        }
        out.push_str(&format!("--{boundary}--\r\n"));
        out.into_bytes()
    }
}

fn part(content_type: &str, disposition: Option<&str>, bytes: &[u8]) -> String {
    let mut out = format!("Content-Type: {content_type}\r\n");
    if let Some(disposition) = disposition {
        out.push_str(&format!("Content-Disposition: {disposition}\r\n"));
    }
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    // Base64 in lines of 76 characters, as MIME requires.
    let encoded = BASE64.encode(bytes);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// `text` safe to put in HTML, as text or in a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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
    out
}

/// The outcome of claiming an event's e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This delivery sends it.
    Claimed,
    /// It was sent already, or decided against.
    Done,
    /// Another delivery is sending it right now.
    Busy,
}

/// What a delivery that claimed an e-mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// SES accepted it, with this message id.
    Sent(String),
    /// There was nothing to send (for example, the address changed since): said why.
    Skipped(&'static str),
}

/// An event's e-mail record. Times are epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
enum MailRecord {
    /// A delivery is sending it, since `claimed_at`.
    Sending {
        #[serde(with = "time::serde::timestamp")]
        claimed_at: OffsetDateTime,
    },
    /// SES accepted it.
    Sent {
        message_id: String,
        #[serde(with = "time::serde::timestamp")]
        sent_at: OffsetDateTime,
    },
    /// Nothing was sent, for `reason`.
    Skipped {
        reason: String,
        #[serde(with = "time::serde::timestamp")]
        sent_at: OffsetDateTime,
    },
}

/// Sends the e-mail of the event recorded at `key` of `table` once: `send` runs only for the
/// delivery that claims it, and what it did is recorded; when it fails, the claim is given up so
/// that the message's next delivery need not wait for the lease to lapse.
pub async fn send_once<F, Fut>(table: &Table, key: &str, send: F) -> Result<(), MessageError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Sent, MessageError>>,
{
    match claim(table, key, OffsetDateTime::now_utc())
        .await
        .map_err(MessageError::retry)?
    {
        Claim::Done => return Ok(()),
        Claim::Busy => {
            return Err(MessageError::Retry(format!(
                "another delivery is sending {key}"
            )));
        }
        Claim::Claimed => {}
    }
    match send().await {
        Ok(sent) => {
            let now = OffsetDateTime::now_utc();
            let record = match sent {
                Sent::Sent(message_id) => MailRecord::Sent {
                    message_id,
                    sent_at: now,
                },
                Sent::Skipped(reason) => {
                    tracing::info!(key, reason, "nothing to e-mail");
                    MailRecord::Skipped {
                        reason: reason.to_owned(),
                        sent_at: now,
                    }
                }
            };
            table
                .put(record_item(key, &record, now).map_err(MessageError::retry)?)
                .await
                .map_err(MessageError::retry)
        }
        Err(err) => {
            release(table, key).await.map_err(MessageError::retry)?;
            Err(err)
        }
    }
}

/// Claims the e-mail at `key` for this delivery, at `now`.
pub async fn claim(table: &Table, key: &str, now: OffsetDateTime) -> Result<Claim, StoreError> {
    let claim = MailRecord::Sending { claimed_at: now };
    if table.put_if_absent(record_item(key, &claim, now)?).await? {
        return Ok(Claim::Claimed);
    }
    let claimed_at = match table.get_record(key, true).await? {
        // Released between the two calls: the next delivery will claim it.
        None => return Ok(Claim::Busy),
        Some(MailRecord::Sent { .. } | MailRecord::Skipped { .. }) => return Ok(Claim::Done),
        Some(MailRecord::Sending { claimed_at }) => claimed_at,
    };
    if now - claimed_at < LEASE {
        return Ok(Claim::Busy);
    }
    // The claim lapsed: take it over, unless another delivery just did.
    let result = table
        .update(key)
        .update_expression("SET claimed_at = :now")
        .condition_expression("#status = :sending AND claimed_at = :claimed")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":now", n(now.unix_timestamp()))
        .expression_attribute_values(":sending", s("SENDING"))
        .expression_attribute_values(":claimed", n(claimed_at.unix_timestamp()))
        .send()
        .await;
    let taken = conditional(
        "UpdateItem",
        result,
        UpdateItemError::is_conditional_check_failed_exception,
    )?;
    Ok(if taken { Claim::Claimed } else { Claim::Busy })
}

/// The item of `record`, kept for [`KEEP`] after `now`.
fn record_item(
    key: &str,
    record: &MailRecord,
    now: OffsetDateTime,
) -> Result<crate::store::Item, StoreError> {
    let mut item = to_item(key, record)?;
    item.insert("expires_at".to_owned(), n((now + KEEP).unix_timestamp()));
    Ok(item)
}

/// Gives up a claim after a failed send.
async fn release(table: &Table, key: &str) -> Result<(), StoreError> {
    let result = table
        .client()
        .delete_item()
        .table_name(table.name())
        .key("pk", s(key))
        .condition_expression("#status = :sending")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":sending", s("SENDING"))
        .send()
        .await;
    conditional(
        "DeleteItem",
        result,
        aws_sdk_dynamodb::operation::delete_item::DeleteItemError::is_conditional_check_failed_exception,
    )
    .map(drop)
}

/// Whether the e-mail at `key` was sent (not skipped, not being sent).
pub async fn was_sent(table: &Table, key: &str) -> Result<bool, StoreError> {
    let record = table.get_record(key, true).await?;
    Ok(matches!(record, Some(MailRecord::Sent { .. })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded_parts(mime: &str) -> Vec<String> {
        mime.split("\r\n\r\n")
            .skip(2)
            .map(|body| {
                let encoded: String = body
                    .lines()
                    .take_while(|line| !line.starts_with("--"))
                    .collect();
                String::from_utf8(BASE64.decode(encoded).unwrap_or_default()).unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn an_alternative_message_has_a_text_and_an_html_part() {
        let email = Email {
            to: "ada@example.com",
            subject: "Confirm your e-mail address",
            text: "Hello Zoë",
            html: Some("<p>Hello Zo&euml;</p>"),
            attachment: None,
        };
        let mime = String::from_utf8(email.to_mime("shop@example.com")).unwrap();
        assert!(
            mime.starts_with("From: Serverless Shop <shop@example.com>\r\nTo: ada@example.com\r\n")
        );
        assert!(mime.contains("Content-Type: multipart/alternative; boundary="));
        assert_eq!(decoded_parts(&mime), ["Hello Zoë", "<p>Hello Zo&euml;</p>"]);
    }

    #[test]
    fn what_was_typed_never_reaches_a_header() {
        let email = Email {
            to: "ada@example.com",
            subject: "Hello",
            text: "Ada\r\nBcc: eve@example.com",
            html: None,
            attachment: None,
        };
        let mime = String::from_utf8(email.to_mime("shop@example.com")).unwrap();
        assert!(!mime.contains("Bcc"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<b a="1">O'Neil & co</b>"#),
            "&lt;b a=&quot;1&quot;&gt;O&#39;Neil &amp; co&lt;/b&gt;"
        );
    }
}
