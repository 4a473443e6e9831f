//! Pseudonyms: what the users table is keyed by where it must find a record from a person's
//! username or address without holding either. A pseudonym is an HMAC of the name under a key
//! of its own (the secret `PSEUDONYM_KEY_SECRET_ARN` names): whoever is given the name computes
//! it, while the table alone, or a copy of it, cannot be searched for a name by hashing guesses.
//!
//! Used by a deleted account's tombstone ([`crate::tombstone`]), which outlives the account, and
//! by the daily counts of e-mails to an address, which other accounts of the address share and
//! which therefore outlive the deletion of any one of them ([`crate::store`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::keys::KeysError;

/// What a pseudonym is for ([`PseudonymKey::of`]): a deleted account's tombstone, and the daily
/// counts of e-mails and of notices to an address.
pub const TOMBSTONE: &str = "tombstone";
pub const MAIL_TO: &str = "mail-to";
pub const NOTICE_TO: &str = "notice-to";

/// The key pseudonyms are made with.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl PseudonymKey {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self(key.into())
    }

    /// The key in the secret named by `PSEUDONYM_KEY_SECRET_ARN`, read once at start-up. It is
    /// never rotated: a new key would forget every tombstone made under the old one.
    pub async fn from_env(client: &aws_sdk_secretsmanager::Client) -> Result<Self, KeysError> {
        let secret_id = shared::config::required("PSEUDONYM_KEY_SECRET_ARN")?;
        Self::load(client, &secret_id).await
    }

    /// The key in the secret `secret_id`.
    pub async fn load(
        client: &aws_sdk_secretsmanager::Client,
        secret_id: &str,
    ) -> Result<Self, KeysError> {
        let value = crate::keys::current_value(client, secret_id).await?;
        Ok(Self(value.into_bytes()))
    }

    /// The pseudonym of `name` for `purpose` (a username's tombstone, an address's count): the
    /// same name gives different pseudonyms for different purposes.
    pub fn of(&self, purpose: &str, name: &str) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(b"shop pseudonyms v1\0");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(name.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_depends_on_the_name_the_purpose_and_the_key_and_shows_none() {
        let key = PseudonymKey::new("k1");
        let pseudonym = key.of("tombstone", "ada");
        assert_eq!(pseudonym, key.of("tombstone", "ada"));
        assert_ne!(pseudonym, key.of("tombstone", "ada2"));
        assert_ne!(pseudonym, key.of("mail-to", "ada"));
        assert_ne!(pseudonym, PseudonymKey::new("k2").of("tombstone", "ada"));
        assert!(!pseudonym.contains("ada"));
        assert_eq!(format!("{key:?}"), "PseudonymKey(<redacted>)");
    }
}
