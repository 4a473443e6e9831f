//! The users service's vocabulary. Each type can only be built valid: a `Username` in hand has
//! already been checked and lower-cased, so nothing downstream checks it again.

use std::fmt;

use serde::{Deserialize, Serialize};
use shared::auth::Role;
use shared::http::{ApiError, FieldErrors};
pub use shared::ids::Username;
use time::OffsetDateTime;

/// An e-mail address of plausible shape: one `@`, a local part and a dotted domain, at most 254
/// characters (RFC 5321's path limit). The domain is lower-cased; the local part is kept as given.
///
/// Whether mail reaches it is only known by sending some, so the check is deliberately no stricter
/// than that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let invalid = || Err("must be an e-mail address such as ada@example.com".to_owned());
        if raw.len() > Self::MAX {
            return Err(format!("must be at most {} characters long", Self::MAX));
        }
        let Some((local, domain)) = raw.rsplit_once('@') else {
            return invalid();
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()) && tld.len() >= 2);
        if !(local_ok && domain_ok) {
            return invalid();
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    /// A password someone chooses for the account `username`: 8 to 128 characters, not one of
    /// the common breached passwords ([`crate::breached`]) and not the username, whatever the case
    /// (NIST SP 800-63B, 5.1.1.2). Each refusal says why, so a person can choose better.
    pub fn choose(raw: String, username: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&length) {
            return Err(format!(
                "must be {} to {} characters long",
                Self::MIN,
                Self::MAX
            ));
        }
        if crate::breached::is_common(raw.trim()) {
            return Err(
                "is one of the most common passwords, which are guessed first: choose another"
                    .into(),
            );
        }
        if raw.trim().to_lowercase() == username.trim().to_lowercase() {
            return Err("must not be your username".into());
        }
        Ok(Self(raw))
    }

    /// A password given at log-in, checked only against its hash: any length up to the maximum
    /// (longer ones cannot match and would only cost hashing time).
    pub fn candidate(raw: String) -> Option<Self> {
        (raw.chars().count() <= Self::MAX).then_some(Self(raw))
    }

    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password as a form sent it, before any check: kept out of `Debug`, so that a form logged
/// whole never shows it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A first or last name: 1 to 64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        if name.chars().count() > Self::MAX {
            return Err(format!("must be at most {} characters long", Self::MAX));
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registration as the client sent it. Unknown fields (`role`, `is_admin`) are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationForm {
    pub username: String,
    pub password: Secret,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// A registration with every field valid.
#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub password: Password,
    pub email: Email,
    pub first_name: PersonName,
    pub last_name: PersonName,
}

impl TryFrom<RegistrationForm> for NewUser {
    type Error = ApiError;

    /// Checks every field and reports all the bad ones at once, so a form can mark each.
    fn try_from(form: RegistrationForm) -> Result<Self, ApiError> {
        let mut fields = FieldErrors::default();
        let username = fields.check("username", Username::parse(&form.username));
        let password = fields.check(
            "password",
            Password::choose(form.password.into_inner(), &form.username),
        );
        let email = fields.check("email", Email::parse(&form.email));
        let first_name = fields.check("first_name", PersonName::parse(&form.first_name));
        let last_name = fields.check("last_name", PersonName::parse(&form.last_name));
        match (username, password, email, first_name, last_name) {
            (Some(username), Some(password), Some(email), Some(first_name), Some(last_name)) => {
                Ok(Self {
                    username,
                    password,
                    email,
                    first_name,
                    last_name,
                })
            }
            _ => Err(fields.into_error()),
        }
    }
}

/// A log-in as the client sent it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

/// A password change as the client sent it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: Secret,
    pub new_password: Secret,
}

/// A change of e-mail address as the client sent it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    pub email: String,
    pub current_password: Secret,
}

/// A request to delete the account, as the client sent it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDeletion {
    pub current_password: Secret,
}

/// A user as the API shows them and the table holds them: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: Username,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether the owner proved `email` is theirs (by its link); a new address is not. Absent
    /// where it is not known: the admin listing's index does not hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The address the owner asked to change to, until they confirm it, signed in, with the link
    /// e-mailed to it (then it replaces `email`, confirmed). Until then everything goes to
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_email: Option<String>,
}

/// An address a verification link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirming<'a> {
    pub address: &'a str,
    /// The id of the change of address it is for (confirmed by the signed-in owner), or `None`
    /// for the account's own address.
    pub change: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_plausible_shape() {
        assert_eq!(
            Email::parse("Ada.Lovelace+shop@Example.CO.uk")
                .unwrap()
                .as_str(),
            "Ada.Lovelace+shop@example.co.uk"
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada@exa mple.com",
            "ada@-example.com",
            ".ada@example.com",
            "ada..l@example.com",
            "ada@example.c0m",
            "<script>@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn chosen_passwords_are_long_uncommon_and_not_the_username() {
        assert!(Password::choose("1234567".into(), "ada").is_err());
        assert!(Password::choose("é".repeat(8), "ada").is_ok());
        assert!(Password::choose("x".repeat(129), "ada").is_err());
        let common = Password::choose("Password1".into(), "ada").unwrap_err();
        assert!(common.contains("most common passwords"), "{common}");
        let own = Password::choose("Lovelace1815".into(), "lovelace1815").unwrap_err();
        assert_eq!(own, "must not be your username");
        let password = Password::choose("correct horse".into(), "ada").unwrap();
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }

    #[test]
    fn forms_never_print_their_passwords() {
        let form: PasswordChange = serde_json::from_str(
            r#"{"current_password": "old secret words", "new_password": "new secret words"}"#,
        )
        .unwrap();
        let printed = format!("{form:?}");
        assert!(!printed.contains("secret words"), "{printed}");
        assert_eq!(form.current_password.expose(), "old secret words");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let form = RegistrationForm {
            username: "x".into(),
            password: Secret("short".into()),
            email: "nope".into(),
            first_name: " ".into(),
            last_name: "Lovelace".into(),
        };
        let err = NewUser::try_from(form).unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        assert_eq!(
            err.message(),
            "invalid email, first_name, password, username"
        );
    }
}
