//! Session tokens: HS256 JWTs that name a user and a session.
//!
//! The signature and expiry prove the token is ours and current; the session it names is what makes
//! logout immediate, because the authorizer checks that the session still exists on every request.
//! Verification accepts HS256 only, so `alg: none` and algorithm-confusion tokens are refused.
//!
//! The signing secret has versions ([`crate::keys`] reads them from Secrets Manager): a token names
//! the version that signed it in its `kid` header, and is verified with that version, so tokens
//! signed before a rotation stay valid until they expire.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use shared::auth::Rejection;
use shared::config::{self, ConfigError};
use shared::error::ErrorCode;
use shared::http::HttpError;
use shared::ids::Username;
use time::OffsetDateTime;

use crate::refresh::RefreshKey;

const ISSUER: &str = "shop-users";
const AUDIENCE: &str = "shop";
const ALGORITHM: Algorithm = Algorithm::HS256;
/// HS256 keys shorter than the hash output weaken it (RFC 7518 section 3.2).
const MIN_SECRET_BYTES: usize = 32;
/// Short, because a stolen access token works until it expires; the refresh token
/// ([`crate::refresh`]) keeps the customer signed in meanwhile.
const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The username.
    pub sub: Username,
    /// The session id, whose record the authorizer checks and logout deletes.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// A freshly signed token and when it stops working.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// Signing failed: with an HMAC key that passed [`TokenKeys::new`], a bug.
#[derive(Debug, thiserror::Error)]
#[error("signing a token failed: {0}")]
pub struct SigningError(jsonwebtoken::errors::Error);

impl HttpError for SigningError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InternalError
    }
}

/// One version of the signing secret.
struct Key {
    /// The version's id (Secrets Manager's `VersionId`); `None` for a secret without versions.
    kid: Option<String>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// What refresh tokens are derived with ([`crate::refresh`]).
    refresh: RefreshKey,
}

impl Key {
    fn new(kid: Option<String>, secret: &[u8]) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: "TOKEN_SECRET_ARN",
                reason: format!("the secret must be at least {MIN_SECRET_BYTES} bytes"),
            });
        }
        Ok(Self {
            kid,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            refresh: RefreshKey::derive(secret),
        })
    }
}

/// The signing keys (the current version of the secret, and the previous one if known) and the
/// rules a token must pass.
pub struct TokenKeys {
    current: Key,
    previous: Option<Key>,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("current", &self.current.kid)
            .field("previous", &self.previous.as_ref().map(|key| &key.kid))
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A version of the secret: its id and its value.
pub(crate) type Version<'a> = (&'a str, &'a [u8]);

impl TokenKeys {
    /// Keys from one secret without versions (tests, and tools).
    pub fn new(secret: &[u8], ttl: Duration) -> Result<Self, ConfigError> {
        Ok(Self::with_keys(Key::new(None, secret)?, None, ttl))
    }

    /// Keys from the `current` version of the secret and, if there is one, the `previous`.
    pub fn versions(
        current: Version<'_>,
        previous: Option<Version<'_>>,
        ttl: Duration,
    ) -> Result<Self, ConfigError> {
        let previous = match previous {
            Some((kid, secret)) => Some(Key::new(Some(kid.to_owned()), secret)?),
            None => None,
        };
        Ok(Self::with_keys(
            Key::new(Some(current.0.to_owned()), current.1)?,
            previous,
            ttl,
        ))
    }

    fn with_keys(current: Key, previous: Option<Key>, ttl: Duration) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 5;
        Self {
            current,
            previous,
            validation,
            ttl,
        }
    }

    /// `TOKEN_TTL_SECONDS`, by default 15 minutes.
    pub fn ttl_from_env() -> Result<Duration, ConfigError> {
        let seconds = config::parsed_or("TOKEN_TTL_SECONDS", DEFAULT_TTL.as_secs())?;
        Ok(Duration::from_secs(seconds))
    }

    /// The id of the version new tokens are signed with.
    pub fn current_version(&self) -> Option<&str> {
        self.current.kid.as_deref()
    }

    /// The version `token` names, if these keys do not have it.
    pub fn unknown_signer(&self, token: &str) -> Option<String> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let known = self.keys_for(Some(&kid)).next().is_some();
        (!known).then_some(kid)
    }

    /// The keys that may have signed a token naming `kid`: that version; for a token that names
    /// none (signed before versions), the current one and then the previous.
    fn keys_for<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a Key> {
        [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .filter(move |key| kid.is_none() || key.kid.as_deref() == kid)
    }

    /// A token for `username`'s session `session_id`, issued at `now`.
    /// The key the next refresh tokens are derived with: the current version's.
    pub fn refresh_key(&self) -> &RefreshKey {
        &self.current.refresh
    }

    pub fn issue(
        &self,
        username: &Username,
        session_id: &str,
        now: OffsetDateTime,
    ) -> Result<IssuedToken, SigningError> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: username.clone(),
            sid: session_id.to_owned(),
            iat: now.unix_timestamp(),
            exp: expires_at.unix_timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid.clone_from(&self.current.kid);
        let token =
            jsonwebtoken::encode(&header, &claims, &self.current.encoding).map_err(SigningError)?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The claims of a token we signed that has not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::InvalidToken)?;
        let mut outcome = Err(Rejection::InvalidToken);
        for key in self.keys_for(header.kid.as_deref()) {
            outcome = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation)
                .map(|data| data.claims)
                .map_err(|err| match err.kind() {
                    ErrorKind::ExpiredSignature => Rejection::ExpiredToken,
                    _ => Rejection::InvalidToken,
                });
            // Any answer but a wrong signature came from the right key (the signature is
            // checked first): an expired token is expired, whatever the next key says.
            if !matches!(outcome, Err(Rejection::InvalidToken)) {
                break;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Username {
        Username::parse("ada").unwrap()
    }
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET, DEFAULT_TTL).unwrap()
    }

    #[test]
    fn a_token_round_trips() {
        let issued = keys()
            .issue(&ada(), "s1", OffsetDateTime::now_utc())
            .unwrap();
        let claims = keys().verify(&issued.token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("ada", "s1"));
        assert_eq!(claims.exp, issued.expires_at.unix_timestamp());
    }

    #[test]
    fn tokens_name_their_version_and_the_previous_version_still_verifies() {
        let now = OffsetDateTime::now_utc();
        let old = TokenKeys::versions(("v1", SECRET), None, DEFAULT_TTL).unwrap();
        let before = old.issue(&ada(), "s1", now).unwrap().token;
        let header = jsonwebtoken::decode_header(&before).unwrap();
        assert_eq!(header.kid.as_deref(), Some("v1"));

        // After a rotation: v2 signs, v1 still verifies.
        let other: &[u8] = b"fedcba9876543210fedcba9876543210";
        let rotated =
            TokenKeys::versions(("v2", other), Some(("v1", SECRET)), DEFAULT_TTL).unwrap();
        assert_eq!(rotated.verify(&before).unwrap().sub, "ada");
        let after = rotated.issue(&ada(), "s2", now).unwrap().token;
        assert_eq!(rotated.verify(&after).unwrap().sid, "s2");

        // The old keys have never heard of v2: they can tell, and refuse it.
        assert_eq!(old.unknown_signer(&after).as_deref(), Some("v2"));
        assert_eq!(old.unknown_signer(&before), None);
        assert_eq!(old.verify(&after), Err(Rejection::InvalidToken));

        // A token from before versions verifies with the current key or, after a rotation,
        // the previous one.
        let unversioned = TokenKeys::new(SECRET, DEFAULT_TTL)
            .unwrap()
            .issue(&ada(), "s0", now)
            .unwrap()
            .token;
        assert_eq!(rotated.verify(&unversioned).unwrap().sid, "s0");
        let expired = TokenKeys::new(other, DEFAULT_TTL)
            .unwrap()
            .issue(&ada(), "s0", now - Duration::from_secs(2 * 60 * 60))
            .unwrap()
            .token;
        assert_eq!(
            rotated.verify(&expired),
            Err(Rejection::ExpiredToken),
            "an unversioned token signed with the current key, expired, is said to be expired"
        );

        // Two rotations later, v1 is gone.
        let later =
            TokenKeys::versions(("v3", &[3; 32]), Some(("v2", other)), DEFAULT_TTL).unwrap();
        assert_eq!(later.verify(&before), Err(Rejection::InvalidToken));

        // A token that names a version but is signed with another is refused.
        let forged = {
            let mut header = Header::new(ALGORITHM);
            header.kid = Some("v2".into());
            let claims = rotated.verify(&after).unwrap();
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
        };
        assert_eq!(rotated.verify(&forged), Err(Rejection::InvalidToken));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(b"too short", DEFAULT_TTL).is_err());
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_are_refused() {
        let long_ago = OffsetDateTime::now_utc() - Duration::from_secs(2 * 60 * 60);
        let expired = keys().issue(&ada(), "s1", long_ago).unwrap().token;
        assert_eq!(keys().verify(&expired), Err(Rejection::ExpiredToken));

        let good = keys()
            .issue(&ada(), "s1", OffsetDateTime::now_utc())
            .unwrap()
            .token;
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = "root".into();
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        let tampered = parts.join(".");
        assert_eq!(keys().verify(&tampered), Err(Rejection::InvalidToken));

        let other_key = TokenKeys::new(&[7; 32], DEFAULT_TTL).unwrap();
        let foreign = other_key
            .issue(&ada(), "s1", OffsetDateTime::now_utc())
            .unwrap()
            .token;
        assert_eq!(keys().verify(&foreign), Err(Rejection::InvalidToken));

        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{}.", parts[1]);
        assert_eq!(keys().verify(&unsigned), Err(Rejection::InvalidToken));

        for junk in ["", "abc", "a.b.c", &good[..good.len() - 2]] {
            assert_eq!(keys().verify(junk), Err(Rejection::InvalidToken));
        }
    }
}
