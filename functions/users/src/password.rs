//! Password hashing: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), which
//! are the `argon2` crate's defaults. Hashes are PHC strings, so they carry their own parameters
//! and old hashes still verify if the defaults ever change.
//!
//! Hashing takes tens of milliseconds of CPU by design, and runs right on the calling task: a
//! Lambda process handles one request at a time, so there is nothing else to stall. (On tokio's
//! blocking pool each new thread's allocator arena kept its own 19 MiB of hashing memory: the
//! benchmarks measured a 220 MB peak for `user-create`.)

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use shared::error::ErrorCode;
use shared::http::HttpError;

use crate::domain::Password;

/// The hash of a random password nobody knows, with the same parameters as real hashes. Log-in
/// verifies against it when the user does not exist, so that an unknown username costs as much
/// time as a wrong password and response times do not reveal which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$YCxKG0n4bA+Fgfn5HT9+Ag$sU/ZMeaFnqFz9JPKRp2J+NMSEv8Qex9BCTdOtlmMVjk";

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HttpError for HashError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InternalError
    }
}

/// A new PHC-format hash of `password` with a fresh random salt.
pub async fn hash(password: Password) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.expose())
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

/// Whether `password` matches `stored`. With no stored hash (unknown user) it still does the full
/// amount of work, against [`DUMMY_HASH`], and answers `false`.
pub async fn verify(password: Password, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let matches = Argon2::default()
        .verify_password(password.expose(), hash.as_str())
        .is_ok();
    known && matches
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{Params, PasswordHash};

    fn password(text: &str) -> Password {
        Password::candidate(text.into()).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash(password("correct horse")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(password("correct horse"), Some(stored.clone())).await);
        assert!(!verify(password("correct horsE"), Some(stored)).await);
    }

    #[tokio::test]
    async fn unknown_users_never_match() {
        assert!(!verify(password("correct horse"), None).await);
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&dummy).unwrap();
        let defaults = Params::default();
        assert_eq!(dummy.algorithm, argon2::ARGON2ID_IDENT);
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (defaults.m_cost(), defaults.t_cost(), defaults.p_cost())
        );
    }
}
