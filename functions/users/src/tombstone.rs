//! What stays of a deleted account: a tombstone that keeps its username from being registered
//! by someone else for [`KEEP`], so that nobody can pose as the person who left to the people
//! and e-mails that knew the name.
//!
//! The tombstone holds no name: its key is the username's pseudonym ([`crate::pseudonym`]), so
//! registration and the "is it taken?" check find it from the name they are given. It holds only
//! when the account was deleted and when it lapses (the table's TTL attribute), and has no
//! `kind`, so no index or listing sees it.

use std::time::Duration;

use crate::domain::Username;
use crate::pseudonym::PseudonymKey;

/// How long a deleted account's username stays unavailable.
pub const KEEP: Duration = Duration::from_secs(90 * 24 * 60 * 60);

// The username outlives everything issued under it: a refresh token, or a link in an e-mail,
// cannot reach an account of the same name registered by someone else.
const _: () = assert!(KEEP.as_secs() > crate::refresh::LIFETIME.as_secs());
const _: () = assert!(KEEP.as_secs() > crate::email::VERIFY_FOR.as_secs());
const _: () = assert!(KEEP.as_secs() > crate::email::RESET_FOR.as_secs());

/// What every tombstone's key starts with.
pub(crate) const PREFIX: &str = "TOMBSTONE#";

/// The key of `username`'s tombstone.
pub(crate) fn pk(key: &PseudonymKey, username: &Username) -> String {
    format!(
        "{PREFIX}{}",
        key.of(crate::pseudonym::TOMBSTONE, username.as_str())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tombstone_is_named_by_the_lower_cased_username_and_holds_no_name() {
        let key = PseudonymKey::new("k1");
        let name = |raw| Username::parse(raw).unwrap();
        let tombstone = pk(&key, &name("Ada"));
        assert_eq!(tombstone, pk(&key, &name("ada")));
        assert!(tombstone.starts_with(PREFIX));
        assert!(!tombstone.to_lowercase().contains("ada"));
    }
}
