//! The receipt e-mail: a short note with the PDF attached (a raw MIME message, the only SES form
//! that carries attachments; see [`shared::mail`]).

use shared::mail::{Attachment, Email, SHOP_NAME};
use shared::messages::ReceiptRequested;
use shared::money::Money;

/// The e-mail's text, and its subject.
pub fn text(receipt: &ReceiptRequested) -> (String, String) {
    let total = Money::new(receipt.total, receipt.currency);
    let text = format!(
        "Hello {},\r\n\r\nThank you for your order {}. We have charged {} to the card ending in {}.\r\n\
         Your receipt is attached.\r\n\r\n{}\r\n",
        receipt.customer_name, receipt.order_id, total, receipt.card_last4, SHOP_NAME
    );
    // An order id is hex: the subject is ASCII.
    let subject = format!("Your receipt for order {}", &receipt.order_id.as_str()[..8]);
    (text, subject)
}

/// The e-mail, borrowing its parts.
pub fn email<'a>(
    receipt: &'a ReceiptRequested,
    text: &'a str,
    subject: &'a str,
    filename: &'a str,
    pdf: &'a [u8],
) -> Email<'a> {
    Email {
        to: &receipt.email,
        subject,
        text,
        html: None,
        attachment: Some(Attachment {
            filename,
            content_type: "application/pdf",
            bytes: pdf,
        }),
    }
}
