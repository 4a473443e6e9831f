//! The e-mails the users service sends, and the links in them.
//!
//! A route that decides an e-mail must go (registration, a request to resend) writes a message
//! to the users table's outbox in the same transaction as its change ([`shared::outbox`]); the
//! relay (`user-relay`) sends it to the queue of that kind of e-mail, whose function sends it
//! once ([`shared::mail::send_once`]). The link's token is made by the sending function, not by
//! the route: only its hash rests anywhere (the table), never in the outbox or a queue.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::mail::{Email, SHOP_NAME, escape_html};

use crate::domain::Username;
use crate::secret::{self, NoRandomness};

/// How long a verification link works.
pub const VERIFY_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// Where the users service's outbox messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// `VerificationEmailQueue`.
    VerificationEmail,
}

/// "E-mail `username` a link that confirms `email` is theirs": the message on
/// `VerificationEmailQueue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRequested {
    /// This request's id: one e-mail per id.
    pub request: String,
    pub username: Username,
    /// The address to confirm; if the account's address changed since, nothing is sent.
    pub email: String,
}

/// The token of an e-mailed link, as the link carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(<redacted>)")
    }
}

impl LinkToken {
    pub fn generate() -> Result<Self, NoRandomness> {
        secret::generate().map(Self)
    }

    /// A token a client sent, if it has a token's shape.
    pub fn parse(text: &str) -> Option<Self> {
        secret::is_shaped(text).then(|| Self(text.to_owned()))
    }

    /// What the table keeps (see [`crate::secret::hash`]).
    pub fn hash(&self) -> String {
        secret::hash(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The storefront's address, where links point: `STOREFRONT_DOMAIN` is the CloudFront
/// distribution's domain (HTTPS only) on AWS, and the local shop's loopback address here
/// (plain HTTP, which browsers trust on loopback only).
#[derive(Debug, Clone)]
pub struct Storefront(String);

impl Storefront {
    pub fn new(domain: &str) -> Self {
        let host = domain.rsplit_once(':').map_or(domain, |(host, _)| host);
        let scheme = if matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            "http"
        } else {
            "https"
        };
        Self(format!("{scheme}://{domain}"))
    }

    pub fn from_env() -> Result<Self, shared::config::ConfigError> {
        Ok(Self::new(&shared::config::required("STOREFRONT_DOMAIN")?))
    }

    /// The storefront page `page` (`verify`, ...) with `token`. The token rides in the
    /// fragment, which browsers never send to a server or in a `Referer`.
    pub fn link(&self, page: &str, token: &LinkToken) -> String {
        format!("{}/#/{page}?token={}", self.0, token.as_str())
    }
}

/// The verification e-mail's text and HTML, for `first_name` and its `link`.
#[derive(Debug)]
pub struct Verification {
    pub text: String,
    pub html: String,
}

impl Verification {
    pub const SUBJECT: &str = "Confirm your e-mail address";

    pub fn new(first_name: &str, link: &str) -> Self {
        let hours = VERIFY_FOR.as_secs() / 3600;
        let text = format!(
            "Hello {first_name},\r\n\r\nPlease confirm that this is your e-mail address by opening this link \
             within {hours} hours:\r\n\r\n{link}\r\n\r\nIf you did not create an account at {SHOP_NAME}, \
             ignore this e-mail: nothing else will be sent to you.\r\n\r\n{SHOP_NAME}\r\n"
        );
        let (name, href) = (escape_html(first_name), escape_html(link));
        let html = format!(
            "<!doctype html><html><body style=\"font-family: sans-serif\">\
             <p>Hello {name},</p>\
             <p>Please confirm that this is your e-mail address within {hours} hours:</p>\
             <p><a href=\"{href}\">Confirm my e-mail address</a></p>\
             <p>If you did not create an account at {SHOP_NAME}, ignore this e-mail: nothing else will be sent to you.</p>\
             <p>{SHOP_NAME}</p></body></html>"
        );
        Self { text, html }
    }

    pub fn email<'a>(&'a self, to: &'a str) -> Email<'a> {
        Email {
            to,
            subject: Self::SUBJECT,
            text: &self.text,
            html: Some(&self.html),
            attachment: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_https_except_on_this_machine() {
        let token = LinkToken::generate().unwrap();
        let link = Storefront::new("d111111abcdef8.cloudfront.net").link("verify", &token);
        assert_eq!(
            link,
            format!(
                "https://d111111abcdef8.cloudfront.net/#/verify?token={}",
                token.as_str()
            )
        );
        assert!(
            Storefront::new("127.0.0.1:8080")
                .link("verify", &token)
                .starts_with("http://127.0.0.1:8080/#/verify?token=")
        );
        assert!(
            Storefront::new("localhost.example.com")
                .link("verify", &token)
                .starts_with("https://")
        );
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (
            LinkToken::generate().unwrap(),
            LinkToken::generate().unwrap(),
        );
        assert_ne!(a, b);
        assert_eq!(LinkToken::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a.hash(), a.as_str());
        assert!(LinkToken::parse("short").is_none());
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn the_html_part_escapes_the_name() {
        let mail = Verification::new("<script>", "https://shop.example/#/verify?token=a&b");
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("token=a&amp;b"));
        assert!(
            mail.text
                .contains("https://shop.example/#/verify?token=a&b")
        );
    }
}
