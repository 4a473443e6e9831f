//! Session tokens: HS256 JWTs that name a user and a session.
//!
//! The signature and expiry prove the token is ours and current; the session it names is what makes
//! logout immediate, because the authorizer checks that the session still exists on every request.
//! Verification accepts HS256 only, so `alg: none` and algorithm-confusion tokens are refused.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::auth::Rejection;
use shared::config::{self, ConfigError};
use shared::http::HttpError;
use time::OffsetDateTime;

const ISSUER: &str = "shop-users";
const AUDIENCE: &str = "shop";
const ALGORITHM: Algorithm = Algorithm::HS256;
/// HS256 keys shorter than the hash output weaken it (RFC 7518 section 3.2).
const MIN_SECRET_BYTES: usize = 32;
const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The username.
    pub sub: String,
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
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn code(&self) -> &'static str {
        "internal_error"
    }
}

/// The signing key and the rules a token must pass.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: "TOKEN_SECRET",
                reason: format!("must be at least {MIN_SECRET_BYTES} bytes"),
            });
        }
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        })
    }

    /// `TOKEN_SECRET` (required) and `TOKEN_TTL_SECONDS` (default one hour).
    pub fn from_env() -> Result<Self, ConfigError> {
        let secret = config::required("TOKEN_SECRET")?;
        let ttl = config::parsed_or("TOKEN_TTL_SECONDS", DEFAULT_TTL.as_secs())?;
        Self::new(secret.as_bytes(), Duration::from_secs(ttl))
    }

    /// A token for `username`'s session `session_id`, issued at `now`.
    pub fn issue(
        &self,
        username: &str,
        session_id: &str,
        now: OffsetDateTime,
    ) -> Result<IssuedToken, SigningError> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: username.to_owned(),
            sid: session_id.to_owned(),
            iat: now.unix_timestamp(),
            exp: expires_at.unix_timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .map_err(SigningError)?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The claims of a token we signed that has not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => Rejection::ExpiredToken,
                _ => Rejection::InvalidToken,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET, DEFAULT_TTL).unwrap()
    }

    #[test]
    fn a_token_round_trips() {
        let issued = keys()
            .issue("ada", "s1", OffsetDateTime::now_utc())
            .unwrap();
        let claims = keys().verify(&issued.token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("ada", "s1"));
        assert_eq!(claims.exp, issued.expires_at.unix_timestamp());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(b"too short", DEFAULT_TTL).is_err());
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_are_refused() {
        let long_ago = OffsetDateTime::now_utc() - Duration::from_secs(2 * 60 * 60);
        let expired = keys().issue("ada", "s1", long_ago).unwrap().token;
        assert_eq!(keys().verify(&expired), Err(Rejection::ExpiredToken));

        let good = keys()
            .issue("ada", "s1", OffsetDateTime::now_utc())
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
            .issue("ada", "s1", OffsetDateTime::now_utc())
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
