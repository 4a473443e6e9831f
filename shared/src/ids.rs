//! The identifiers more than one service handles: who a customer is, and which product is meant.
//!
//! Each is parsed once, at the edge (a form, a token, a message, a stored record), and is valid
//! from then on: `serde` goes through the same `parse`, so a record or message with a malformed
//! id fails to read instead of carrying it further.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A username: 3 to 32 of `a-z 0-9 _ . -`, lower-cased so that uniqueness ignores case. The users
/// service issues them; orders are owned by one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim().to_ascii_lowercase();
        let length = name.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&length) {
            return Err(format!(
                "must be {} to {} characters long",
                Self::MIN,
                Self::MAX
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'))
        {
            return Err(format!(
                "may only contain letters, digits, '_', '.' and '-' (found {bad:?})"
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner of what a deleted account leaves for the shop's books (an order's amounts):
    /// `[deleted]`, which [`Self::parse`] refuses, so no account can have it and no request can
    /// name it, and nothing of it reaches anyone. Stored records and messages read it back (so
    /// would a signed token or the authorizer's context, which only ever name accounts).
    pub fn erased() -> Self {
        Self(Self::ERASED.to_owned())
    }

    /// Whether this is [`Self::erased`].
    pub fn is_erased(&self) -> bool {
        self.0 == Self::ERASED
    }

    const ERASED: &'static str = "[deleted]";

    /// A username as stored or sent between services: one [`Self::parse`] accepts, or
    /// [`Self::erased`].
    fn from_stored(raw: &str) -> Result<Self, String> {
        if raw == Self::ERASED {
            return Ok(Self::erased());
        }
        Self::parse(raw)
    }
}

/// A product's id, its slug in URLs: 3 to 64 of `a-z 0-9 -`, not starting or ending with `-`,
/// no `--`. The products service mints them; orders, receipts and the storefront refer to them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductId(String);

impl ProductId {
    pub const MIN: usize = 3;
    pub const MAX: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let slug = raw.trim();
        if !(Self::MIN..=Self::MAX).contains(&slug.len()) {
            return Err(format!(
                "must be {} to {} characters long",
                Self::MIN,
                Self::MAX
            ));
        }
        let allowed = slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !allowed || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err(
                "may only contain lower-case letters, digits and single hyphens between them"
                    .into(),
            );
        }
        Ok(Self(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An order's id: 32 lower-case hex digits (a UUID without hyphens). The orders service mints
/// them; payments and receipts are keyed by them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(String);

impl OrderId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        is_lower_hex(raw, 32)
            .then(|| Self(raw.to_owned()))
            .ok_or_else(|| "is not an order id (32 lower-case hex digits)".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A card held by the payments service for a payment: `card_` and 32 lower-case hex digits. The
/// checkout names it instead of the card; only the payments service can tell which card it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardToken(String);

impl CardToken {
    pub fn generate() -> Self {
        Self(format!("card_{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.strip_prefix("card_")
            .filter(|hex| is_lower_hex(hex, 32))
            .map(|_| Self(raw.to_owned()))
            .ok_or_else(|| "is not a card token (card_ and 32 lower-case hex digits)".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `raw` is `len` lower-case hex digits: 32 for a UUID without hyphens, as the shop mints
/// its ids; X-Ray's trace ids too.
pub(crate) fn is_lower_hex(raw: &str, len: usize) -> bool {
    raw.len() == len && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `Display`, `AsRef<str>`, comparison with strings, and the `serde` conversions through `parse`, the
/// same for every id.
macro_rules! string_id {
    ($($id:ident),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $id {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<&str> for $id {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $id {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl std::str::FromStr for $id {
            type Err = String;

            fn from_str(raw: &str) -> Result<Self, String> {
                Self::parse(raw)
            }
        }

        impl TryFrom<String> for $id {
            type Error = String;

            fn try_from(raw: String) -> Result<Self, String> {
                Self::from_stored(&raw).map_err(|problem| format!("{raw:?} {problem}"))
            }
        }

        impl From<$id> for String {
            fn from(id: $id) -> Self {
                id.0
            }
        }
    )*};
}

string_id!(Username, ProductId, OrderId, CardToken);

/// Ids stored and sent as they are parsed (a username may also be [`Username::erased`]).
macro_rules! stored_as_parsed {
    ($($id:ident),*) => {$(
        impl $id {
            fn from_stored(raw: &str) -> Result<Self, String> {
                Self::parse(raw)
            }
        }
    )*};
}

stored_as_parsed!(ProductId, OrderId, CardToken);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_limited() {
        assert_eq!(Username::parse(" Ada.L-1_ ").unwrap().as_str(), "ada.l-1_");
        for bad in ["ab", &"a".repeat(33), "ada lovelace", "ada!", "ädä", ""] {
            assert!(Username::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn the_erased_owner_is_read_back_but_never_parsed_from_input() {
        let erased = Username::erased();
        assert!(erased.is_erased());
        assert!(Username::parse(erased.as_str()).is_err());
        assert!(erased.as_str().parse::<Username>().is_err());
        let stored = serde_json::to_string(&erased).unwrap();
        assert_eq!(serde_json::from_str::<Username>(&stored).unwrap(), erased);
        assert!(!Username::parse("deleted").unwrap().is_erased());
    }

    #[test]
    fn product_ids_are_slugs() {
        assert_eq!(
            ProductId::parse(" enamel-camp-mug ").unwrap(),
            "enamel-camp-mug"
        );
        for bad in [
            "ab",
            "Mug",
            "-mug",
            "mug-",
            "camp--mug",
            "mug!",
            &"a".repeat(65),
        ] {
            assert!(ProductId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn order_ids_are_generated_valid() {
        let id = OrderId::generate();
        assert_eq!(OrderId::parse(id.as_str()), Ok(id));
        assert!(OrderId::parse("not-an-id").is_err());
        assert!(OrderId::parse(&"A".repeat(32)).is_err());
    }

    #[test]
    fn ids_read_from_json_are_parsed() {
        let id: ProductId = serde_json::from_str("\"enamel-camp-mug\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"enamel-camp-mug\"");
        let err = serde_json::from_str::<Username>("\"a b\"").unwrap_err();
        assert!(err.to_string().contains("\"a b\""), "{err}");
    }
}
