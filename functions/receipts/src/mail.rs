//! The receipt e-mail: a short note with the PDF attached, sent through SES v2 as a raw MIME
//! message (the only SES form that carries attachments). The sender is configuration
//! (`SENDER_EMAIL`), a parameter of the template.

use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use shared::config::ConfigError;
use shared::messages::ReceiptRequested;
use shared::money::Money;

use crate::pdf::SHOP_NAME;

#[derive(Debug, thiserror::Error)]
#[error("sending the receipt e-mail failed: {0}")]
pub struct MailError(String);

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

    /// The sender in `SENDER_EMAIL`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_sesv2::Client::new(sdk),
            shared::config::required("SENDER_EMAIL")?,
        ))
    }

    /// Sends the receipt to the customer; returns SES's message id.
    pub async fn send_receipt(
        &self,
        receipt: &ReceiptRequested,
        pdf: &[u8],
    ) -> Result<String, MailError> {
        let raw = mime_message(&self.sender, receipt, pdf);
        let message = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|err| MailError(err.to_string()))?;
        let sent = self
            .ses
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(&receipt.email).build())
            .content(EmailContent::builder().raw(message).build())
            .send()
            .await
            .map_err(|err| MailError(aws_sdk_sesv2::error::DisplayErrorContext(err).to_string()))?;
        Ok(sent.message_id.unwrap_or_default())
    }
}

/// The whole message. Header values come from validated data (an order id is hex, an address
/// passed the users service's checks), and the free text (the customer's name) travels only in
/// base64-encoded bodies, so nothing a customer typed can add a header.
pub fn mime_message(sender: &str, receipt: &ReceiptRequested, pdf: &[u8]) -> Vec<u8> {
    let boundary = format!("receipt-{}", uuid::Uuid::new_v4().simple());
    let total = Money::new(receipt.total, receipt.currency);
    let short_id = &receipt.order_id.as_str()[..8];
    let greeting = format!(
        "Hello {},\r\n\r\nThank you for your order {}. We have charged {} to the card ending in {}.\r\n\
         Your receipt is attached.\r\n\r\n{}\r\n",
        receipt.customer_name, receipt.order_id, total, receipt.card_last4, SHOP_NAME
    );
    let mut message = String::new();
    message.push_str(&format!("From: {SHOP_NAME} <{sender}>\r\n"));
    message.push_str(&format!("To: {}\r\n", receipt.email));
    message.push_str(&format!("Subject: Your receipt for order {short_id}\r\n"));
    message.push_str("MIME-Version: 1.0\r\n");
    message.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    message.push_str(&format!("--{boundary}\r\n"));
    message.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    message.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    message.push_str(&wrapped_base64(greeting.as_bytes()));
    message.push_str(&format!("--{boundary}\r\n"));
    let filename = format!("receipt-{}.pdf", receipt.order_id);
    message.push_str(&format!(
        "Content-Type: application/pdf; name=\"{filename}\"\r\n"
    ));
    message.push_str(&format!(
        "Content-Disposition: attachment; filename=\"{filename}\"\r\n"
    ));
    message.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    message.push_str(&wrapped_base64(pdf));
    message.push_str(&format!("--{boundary}--\r\n"));
    message.into_bytes()
}

/// Base64 in lines of 76 characters, as MIME requires.
fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = BASE64.encode(bytes);
    let mut wrapped = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        wrapped.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        wrapped.push_str("\r\n");
    }
    wrapped
}
