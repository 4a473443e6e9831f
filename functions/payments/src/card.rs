//! Cards held for a payment: the one place in the shop where a card number rests.
//!
//! The storefront sends the card to `POST /api/payment/card` and gets a token back; the checkout
//! names only the token, so neither the orders service, nor its table, the queues and their
//! dead-letter queues, nor any log ever holds the number. The card waits under `CARD#<token>` in
//! the cards table until the charge that uses it is decided, and is then erased; one never used
//! lapses after [`HELD_FOR`] (checked on every read, and deleted by the table's TTL later). A
//! token works only for the customer it was issued to, and pays for one payment attempt only.

use std::time::Duration;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::http::{ApiError, FieldErrors};
use shared::ids::{CardToken, Username};
use shared::store::{StoreError, Table, conditional, from_item, n, s, to_item};
use time::OffsetDateTime;

/// How long a card waits for its charge: long enough for a checkout held up by a short outage,
/// short enough that a card left behind (a checkout abandoned after the card step) is soon
/// unusable. DynamoDB's TTL then deletes it, usually within a day or two; nothing reads it
/// after it lapses.
pub const HELD_FOR: Duration = Duration::from_secs(60 * 60);

/// A payment card, as the payment gateway needs it. Its `Debug` shows the last four digits only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Digits only.
    pub number: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub holder: String,
}

impl Card {
    /// The last four digits, which receipts and order pages may show.
    pub fn last4(&self) -> &str {
        let digits = self.number.len();
        &self.number[digits.saturating_sub(4)..]
    }
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Card(**** {})", self.last4())
    }
}

/// What the card form sends. Unknown fields are refused. Its `Debug` hides the number.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardForm {
    pub card_number: String,
    pub expiry_month: u8,
    /// Four digits, such as 2030.
    pub expiry_year: u16,
    pub holder: String,
}

impl std::fmt::Debug for CardForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardForm")
            .field("card_number", &"<redacted>")
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .finish_non_exhaustive()
    }
}

impl CardForm {
    /// The card, if every field is valid on `today`; otherwise a 400 naming each bad field.
    pub fn card(self, today: OffsetDateTime) -> Result<Card, ApiError> {
        let mut fields = FieldErrors::default();
        let number = fields.check("card_number", card_number(&self.card_number));
        let month = fields.check(
            "expiry_month",
            (1..=12)
                .contains(&self.expiry_month)
                .then_some(self.expiry_month)
                .ok_or_else(|| "must be a month from 1 to 12".to_owned()),
        );
        let year = fields.check(
            "expiry_year",
            (2000..=2099)
                .contains(&self.expiry_year)
                .then_some(self.expiry_year)
                .ok_or_else(|| "must be a four-digit year such as 2030".to_owned()),
        );
        if let (Some(month), Some(year)) = (month, year) {
            let now = (today.year(), u8::from(today.month()));
            if (i32::from(year), month) < now {
                fields.check::<()>("expiry_month", Err("the card has expired".into()));
            }
        }
        let holder = fields.check("holder", holder(&self.holder));
        match (number, month, year, holder) {
            (Some(number), Some(expiry_month), Some(expiry_year), Some(holder))
                if fields.is_empty() =>
            {
                Ok(Card {
                    number,
                    expiry_month,
                    expiry_year,
                    holder,
                })
            }
            _ => Err(fields.into_error()),
        }
    }
}

/// 12 to 19 digits (spaces and hyphens between groups are dropped) that pass the Luhn check.
fn card_number(raw: &str) -> Result<String, String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(12..=19).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("must be a card number of 12 to 19 digits".into());
    }
    if !luhn(&digits) {
        return Err("is not a valid card number; check the digits".into());
    }
    Ok(digits)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, byte)| {
            let digit = u32::from(byte - b'0');
            match (i % 2 == 1, digit * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => digit,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn holder(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err("must be the name on the card, 1 to 64 characters".into());
    }
    Ok(name.to_owned())
}

/// A card waiting for its charge, as stored.
#[derive(Clone, Serialize, Deserialize)]
struct Held {
    owner: Username,
    #[serde(flatten)]
    card: Card,
    #[serde(with = "time::serde::rfc3339")]
    held_at: OffsetDateTime,
    /// When it lapses (the table's TTL attribute).
    #[serde(with = "time::serde::timestamp")]
    expires_at: OffsetDateTime,
    /// The payment attempt that claimed it: a card pays for one attempt only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_by: Option<String>,
}

/// A card just put on hold: what its owner's checkout names, and what the storefront may show.
#[derive(Debug, Clone, Serialize)]
pub struct HeldCard {
    pub card_token: CardToken,
    pub card_last4: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The cards on hold, in the payments service's cards table: a table of their own, without
/// point-in-time recovery, so that an erased card is gone rather than kept in backups for 35
/// days, and so that the functions that handle cards reach nothing else, and nothing else
/// reaches the cards.
#[derive(Debug, Clone)]
pub struct CardVault {
    table: Table,
}

impl CardVault {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `CARDS_TABLE`, through the payments table's client (one client
    /// fewer to set up in a function that needs both).
    pub fn beside(payments: &crate::PaymentStore) -> Result<Self, ConfigError> {
        Ok(Self::new(
            payments.table().client().clone(),
            shared::config::required("CARDS_TABLE")?,
        ))
    }

    /// The table named by `CARDS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "CARDS_TABLE")?,
        })
    }

    /// Holds `card` for `owner` until it is charged or lapses.
    pub async fn hold(
        &self,
        owner: &Username,
        card: Card,
        now: OffsetDateTime,
    ) -> Result<HeldCard, StoreError> {
        let token = CardToken::generate();
        let held = Held {
            owner: owner.clone(),
            card,
            held_at: now,
            expires_at: now + HELD_FOR,
            claimed_by: None,
        };
        let answer = HeldCard {
            card_token: token.clone(),
            card_last4: held.card.last4().to_owned(),
            expires_at: held.expires_at,
        };
        self.table.put(to_item(&card_key(&token), &held)?).await?;
        Ok(answer)
    }

    /// The card `token` names, claimed for the payment attempt `payment`: if it is held, has not
    /// lapsed, is `owner`'s, and no other payment claimed it. (Claiming again for the same
    /// payment, as a redelivered message does, finds it again.)
    pub async fn claim(
        &self,
        token: &CardToken,
        owner: &Username,
        payment: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Card>, StoreError> {
        let claim = self
            .table
            .update(card_key(token))
            .update_expression("SET claimed_by = :payment")
            .condition_expression(
                "#owner = :owner AND expires_at > :now \
                 AND (attribute_not_exists(claimed_by) OR claimed_by = :payment)",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner.as_str()))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":payment", s(payment));
        let Some(item) = self.table.updated(claim).await? else {
            return Ok(None);
        };
        Ok(Some(from_item::<Held>(item)?.card))
    }

    /// Erases every card held for `owner`, whose account was deleted; how many. Reads the whole
    /// table (every item lapses within the hour, so it stays small): a message's work, never a
    /// request's. A charge that claimed one of them a moment before still completes; one that
    /// had not finds no card and declines.
    pub async fn erase_owner(&self, owner: &Username) -> Result<usize, StoreError> {
        let held = self
            .table
            .scan_all(|scan| {
                scan.filter_expression("#owner = :owner")
                    .expression_attribute_names("#owner", "owner")
                    .expression_attribute_values(":owner", s(owner.as_str()))
                    .projection_expression("pk")
            })
            .await?;
        let mut erased = 0;
        for item in &held {
            if let Some(AttributeValue::S(pk)) = item.get("pk") {
                self.table.delete(pk.as_str()).await?;
                erased += 1;
            }
        }
        Ok(erased)
    }

    /// Erases the card `token` names, if the payment attempt `payment` claimed it: that
    /// payment is decided.
    pub async fn forget(&self, token: &CardToken, payment: &str) -> Result<(), StoreError> {
        let result = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .key("pk", s(card_key(token)))
            .condition_expression("claimed_by = :payment")
            .expression_attribute_values(":payment", s(payment))
            .send()
            .await;
        conditional(
            "DeleteItem",
            result,
            DeleteItemError::is_conditional_check_failed_exception,
        )?;
        Ok(())
    }
}

fn card_key(token: &CardToken) -> String {
    format!("CARD#{token}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn form(number: &str, month: u8, year: u16) -> CardForm {
        CardForm {
            card_number: number.into(),
            expiry_month: month,
            expiry_year: year,
            holder: "Ada Lovelace".into(),
        }
    }

    const TODAY: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

    #[test]
    fn a_valid_card_is_normalised() {
        let card = form("4242 4242-4242 4242", 11, 2026).card(TODAY).unwrap();
        assert_eq!(card.number, "4242424242424242");
        assert_eq!(card.last4(), "4242");
    }

    #[test]
    fn bad_numbers_dates_and_holders_are_named() {
        let cases = [
            (form("4242424242424241", 12, 2030), "card_number"),
            (form("4242", 12, 2030), "card_number"),
            (form("4242abcd42424242", 12, 2030), "card_number"),
            (form("4242424242424242", 13, 2030), "expiry_month"),
            (form("4242424242424242", 10, 2026), "expiry_month"),
            (form("4242424242424242", 12, 26), "expiry_year"),
        ];
        for (form, field) in cases {
            let err = form.card(TODAY).unwrap_err();
            assert_eq!(err.message(), format!("invalid {field}"));
        }
        let mut nameless = form("4242424242424242", 12, 2030);
        nameless.holder = "  ".into();
        assert_eq!(
            nameless.card(TODAY).unwrap_err().message(),
            "invalid holder"
        );
    }

    #[test]
    fn neither_the_form_nor_the_card_prints_the_number() {
        let printed = format!("{:?}", form("4242424242424242", 12, 2030));
        assert!(!printed.contains("4242"), "{printed}");
        let card = form("4242424242424242", 12, 2030).card(TODAY).unwrap();
        assert_eq!(format!("{card:?}"), "Card(**** 4242)");
    }

    #[test]
    fn the_documented_test_cards_pass_luhn() {
        for number in [
            "4242424242424242",
            "4000000000000002",
            "4000000000009995",
            "4000000000000119",
        ] {
            assert!(luhn(number), "{number}");
        }
    }
}
