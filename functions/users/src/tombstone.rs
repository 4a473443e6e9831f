//! What stays of a deleted account: a tombstone that keeps its username from being registered
//! by someone else for [`KEEP`], so that nobody can pose as the person who left to the people
//! and e-mails that knew the name.
//!
//! The tombstone holds no name. Its key is an HMAC of the username under a key of its own (the
//! secret `TOMBSTONE_KEY_SECRET_ARN` names): registration and the "is it taken?" check can
//! compute it from the name they are given, while the table alone, or a copy of it, cannot be
//! searched for a name by hashing guesses. It holds only when the account was deleted and when
//! it lapses (the table's TTL attribute), and has no `kind`, so no index or listing sees it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::domain::Username;
use crate::keys::KeysError;

/// How long a deleted account's username stays unavailable.
pub const KEEP: Duration = Duration::from_secs(90 * 24 * 60 * 60);

// The username outlives everything issued under it: a refresh token, or a link in an e-mail,
// cannot reach an account of the same name registered by someone else.
const _: () = assert!(KEEP.as_secs() > crate::refresh::LIFETIME.as_secs());
const _: () = assert!(KEEP.as_secs() > crate::email::VERIFY_FOR.as_secs());
const _: () = assert!(KEEP.as_secs() > crate::email::RESET_FOR.as_secs());

/// What every tombstone's key starts with.
pub(crate) const PREFIX: &str = "TOMBSTONE#";

/// The key tombstones are named with.
#[derive(Clone)]
pub struct TombstoneKey(Vec<u8>);

impl TombstoneKey {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self(key.into())
    }

    /// The key in the secret named by `TOMBSTONE_KEY_SECRET_ARN`, read once at start-up. It is
    /// never rotated: a new key would forget every tombstone made under the old one.
    pub async fn from_env(client: &aws_sdk_secretsmanager::Client) -> Result<Self, KeysError> {
        let secret_id = shared::config::required("TOMBSTONE_KEY_SECRET_ARN")?;
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

    /// The key of `username`'s tombstone.
    pub(crate) fn pk(&self, username: &Username) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(b"shop tombstones v1\0");
        mac.update(username.as_str().as_bytes());
        format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }
}

impl std::fmt::Debug for TombstoneKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TombstoneKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    #[test]
    fn a_tombstone_is_named_by_the_username_and_the_key_but_holds_neither() {
        let key = TombstoneKey::new("k1");
        let pk = key.pk(&name("ada"));
        assert_eq!(pk, key.pk(&name("ADA")), "usernames are lower-cased first");
        assert_ne!(pk, key.pk(&name("ada2")));
        assert_ne!(pk, TombstoneKey::new("k2").pk(&name("ada")));
        assert!(pk.starts_with(PREFIX));
        assert!(!pk.contains("ada"));
        assert_eq!(format!("{key:?}"), "TombstoneKey(<redacted>)");
    }
}
