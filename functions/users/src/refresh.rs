//! Staying signed in: a refresh token in a cookie the page's scripts cannot read.
//!
//! Access tokens (the bearer tokens every route takes) last 15 minutes. Each session also has a
//! refresh token, `<session id>.<secret>`, in the `__Secure-shop_rt` cookie: `HttpOnly` (no
//! script reads it), `Secure`, `SameSite=Strict` (no other site's page can send it) and scoped to
//! `/api/user/session`, the only routes that read it. `POST /api/user/session/refresh` trades it
//! for a new access token and the next refresh token: every use rotates it. The table keeps only
//! SHA-256 hashes of the secrets: the current one, and the last [`RETIRED`] it replaced.
//!
//! Reuse is theft: a refresh token that was replaced, presented again, means two parties hold
//! the session, and the session ends for both. Except for [`GRACE`] after a rotation: two tabs
//! refreshing at the same moment send the same cookie, and a browser may never have received the
//! answer that rotated it (a reload in the middle, a dropped connection). So the next token is
//! not random but derived from the one it replaces, with a key only the users service has
//! ([`RefreshKey`]): the token just replaced, presented within the grace, gets the same next
//! token again, and every such browser ends up holding the current one. A token that was never
//! this session's is refused and ends nothing, so knowing a session's id (it is in every access
//! token) is not enough to end it.
//!
//! A session lapses after [`IDLE`] without a refresh, and after [`LIFETIME`] whatever happens.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use lambda_http::Request;
use lambda_http::http::header::COOKIE;
use sha2::{Digest, Sha256};

use crate::secret::{self, NoRandomness};

/// The cookie's name. `__Secure-` makes browsers refuse it unless it is `Secure` and was set
/// over HTTPS (or on this machine: loopback counts as secure).
pub const COOKIE_NAME: &str = "__Secure-shop_rt";
/// The routes the cookie goes to.
pub const COOKIE_PATH: &str = "/api/user/session";
/// How long a session lasts without a refresh.
pub const IDLE: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// How long a session lasts at most, refreshed or not.
pub const LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// How long the refresh token just replaced still gets the current one, after its rotation.
pub const GRACE: Duration = Duration::from_secs(10);
/// How many replaced refresh tokens a session remembers, to tell reuse from forgery.
pub const RETIRED: usize = 16;

/// The key refresh tokens are derived with: a hash of the token signing secret's current
/// version, for this use only. A rotation of the secret changes it; a token derived before is
/// still the session's current one, and is checked by its hash, never re-derived.
#[derive(Clone)]
pub struct RefreshKey([u8; 32]);

impl RefreshKey {
    pub(crate) fn derive(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"shop refresh tokens v1\0");
        hasher.update(secret);
        Self(hasher.finalize().into())
    }
}

impl std::fmt::Debug for RefreshKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshKey(<redacted>)")
    }
}

/// A refresh token: the session it continues, and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    session_id: String,
    secret: String,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshToken")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    /// A new token for `session_id`, with 256 random bits of secret.
    pub fn generate(session_id: &str) -> Result<Self, NoRandomness> {
        Ok(Self {
            session_id: session_id.to_owned(),
            secret: secret::generate()?,
        })
    }

    /// The token that replaces this one: the same session, and a secret only [`RefreshKey`]'s
    /// holder can compute from this one.
    pub fn next(&self, key: &RefreshKey) -> Self {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(self.session_id.as_bytes());
        mac.update(b".");
        mac.update(self.secret.as_bytes());
        Self {
            session_id: self.session_id.clone(),
            secret: URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()),
        }
    }

    /// The token in a cookie's value, if it has the token's shape.
    pub fn parse(value: &str) -> Option<Self> {
        let (session_id, secret) = value.split_once('.')?;
        let session_ok =
            session_id.len() == 32 && session_id.bytes().all(|b| b.is_ascii_hexdigit());
        (session_ok && secret::is_shaped(secret)).then(|| Self {
            session_id: session_id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// The refresh token a request carries in its `Cookie` headers, if it carries exactly one
    /// of the token's shape. Two are refused: on a custom domain, a sibling subdomain could plant
    /// its own beside ours, to sign the victim into the planter's account.
    pub fn of(request: &Request) -> Option<Self> {
        let mut tokens = request
            .headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == COOKIE_NAME);
        let (_, value) = tokens.next()?;
        if tokens.next().is_some() {
            return None;
        }
        Self::parse(value)
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// What the table keeps: the secret's SHA-256, never the secret.
    pub fn hash(&self) -> String {
        secret::hash(&self.secret)
    }

    /// The `Set-Cookie` value that gives the browser this token, for `max_age`.
    pub fn cookie(&self, max_age: Duration) -> String {
        cookie(
            &format!("{}.{}", self.session_id, self.secret),
            max_age.as_secs(),
        )
    }
}

/// The `Set-Cookie` value that removes the refresh token from the browser.
pub fn cleared_cookie() -> String {
    cookie("", 0)
}

fn cookie(value: &str, max_age: u64) -> String {
    format!(
        "{COOKIE_NAME}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    #[test]
    fn a_token_goes_into_a_cookie_and_comes_back_from_a_request() {
        let token = RefreshToken::generate("0123456789abcdef0123456789abcdef").unwrap();
        let set = token.cookie(IDLE);
        assert!(set.starts_with("__Secure-shop_rt=0123456789abcdef0123456789abcdef."));
        assert!(set.ends_with(
            "; Path=/api/user/session; Max-Age=1209600; HttpOnly; Secure; SameSite=Strict"
        ));
        let value = set.split(';').next().unwrap();
        let mut request = Request::default();
        request.headers_mut().append(
            COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {value}")).unwrap(),
        );
        assert_eq!(RefreshToken::of(&request), Some(token.clone()));
        assert_eq!(token.hash().len(), 43);
        assert_ne!(token.hash(), token.secret);
        assert!(!format!("{token:?}").contains(&token.secret));
    }

    #[test]
    fn only_the_tokens_shape_is_read() {
        let secret = "a".repeat(43);
        assert!(RefreshToken::parse(&format!("{}.{secret}", "0".repeat(32))).is_some());
        for bad in [
            String::new(),
            format!("{}.{secret}", "0".repeat(31)),
            format!("{}.{}", "0".repeat(32), "a".repeat(42)),
            format!("{}.{}", "g".repeat(32), secret),
            format!("{}.{}", "0".repeat(32), "a=".repeat(22)),
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad}");
        }
        assert_eq!(RefreshToken::of(&Request::default()), None);
    }

    #[test]
    fn the_next_token_is_the_same_for_one_token_and_key_and_unguessable_without_the_key() {
        let token = RefreshToken::generate("0123456789abcdef0123456789abcdef").unwrap();
        let key = RefreshKey::derive(&[7; 32]);
        let next = token.next(&key);
        assert_eq!(next, token.next(&key));
        assert_eq!(next.session_id(), token.session_id());
        assert_ne!(next.secret, token.secret);
        assert!(RefreshToken::parse(&format!("{}.{}", next.session_id, next.secret)).is_some());
        assert_ne!(next, token.next(&RefreshKey::derive(&[8; 32])));
        assert_ne!(next.next(&key), next);
    }

    #[test]
    fn two_tokens_in_one_request_are_refused() {
        let one = format!("{COOKIE_NAME}={}.{}", "0".repeat(32), "a".repeat(43));
        let two = format!("{COOKIE_NAME}={}.{}", "1".repeat(32), "b".repeat(43));
        let mut request = Request::default();
        request.headers_mut().append(
            COOKIE,
            HeaderValue::from_str(&format!("{one}; {two}")).unwrap(),
        );
        assert_eq!(RefreshToken::of(&request), None);
    }

    #[test]
    fn a_cleared_cookie_expires_at_once() {
        assert_eq!(
            cleared_cookie(),
            "__Secure-shop_rt=; Path=/api/user/session; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
        );
    }
}
