//! What a checkout carries: the order as the customer reviewed it, and the payment details,
//! checked before anything is charged.
//!
//! The shop's simulated bank decides by card number; the README lists its test cards.

use serde::Deserialize;
use shared::http::{ApiError, FieldErrors};
use shared::ids::OrderId;
use shared::messages::Card;
use time::OffsetDateTime;

/// What the checkout form sends. Unknown fields are refused. Its `Debug` hides the number.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckoutForm {
    /// The order being paid: the open one, or one whose payment failed.
    pub order_id: OrderId,
    /// The order's `version` when the customer reviewed it: a changed order is not charged.
    pub version: u64,
    pub card_number: String,
    pub expiry_month: u8,
    /// Four digits, such as 2030.
    pub expiry_year: u16,
    pub holder: String,
}

impl std::fmt::Debug for CheckoutForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutForm")
            .field("order_id", &self.order_id)
            .field("version", &self.version)
            .field("card_number", &"<redacted>")
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .finish_non_exhaustive()
    }
}

impl CheckoutForm {
    /// The card, if every field is valid on `today`; otherwise a 400 naming each bad field.
    pub(crate) fn card(&self, today: OffsetDateTime) -> Result<Card, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn form(number: &str, month: u8, year: u16) -> CheckoutForm {
        CheckoutForm {
            order_id: OrderId::parse("0123456789abcdef0123456789abcdef").unwrap(),
            version: 1,
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
    fn the_form_never_prints_the_number() {
        let printed = format!("{:?}", form("4242424242424242", 12, 2030));
        assert!(!printed.contains("4242"), "{printed}");
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
