//! The e-mails the users service sends, and the links in them.
//!
//! A route that decides an e-mail must go (registration, a request to resend, a change the
//! account's owner must hear of) writes a message to the users table's outbox in the same
//! transaction as its change ([`shared::outbox`]); the relay (`user-relay`) sends it to the queue
//! of that kind of e-mail, whose function sends it once ([`shared::mail::send_once`]). The link's token is made by the sending function, not by
//! the route: only its hash rests anywhere (the table), never in the outbox or a queue.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::mail::{Email, SHOP_NAME, escape_html};

use crate::domain::Username;
use crate::secret::{self, NoRandomness};

/// How long a verification link works.
pub const VERIFY_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a password reset link works.
pub const RESET_FOR: Duration = Duration::from_secs(30 * 60);

/// Where the users service's outbox messages go: the e-mail senders' queues, and the queues
/// of the services told that an account was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// `VerificationEmailQueue`.
    VerificationEmail,
    /// `PasswordResetEmailQueue`.
    PasswordResetEmail,
    /// `NoticeEmailQueue`.
    NoticeEmail,
    /// `UserErasureQueue`: this service's own erasure of a deleted account.
    UserErasure,
    /// `OrderErasureQueue`: the orders service's.
    OrderErasure,
    /// `PaymentErasureQueue`: the payments service's (held cards).
    PaymentErasure,
}

/// "E-mail `username` a link that confirms `email` is theirs": the message on
/// `VerificationEmailQueue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRequested {
    /// This request's id: one e-mail per id.
    pub request: String,
    pub username: Username,
    /// The address to confirm; if the account no longer waits for it, nothing is sent.
    pub email: String,
    /// The id of the change of address `email` is for (its link then works only for the
    /// signed-in owner, and only while that change waits), or `None` for the account's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}

/// "E-mail a password reset link to the account `login` names (a username, or the address of
/// up to [`RESET_ACCOUNTS`] accounts)": the message on `PasswordResetEmailQueue`. The route that
/// writes it answers the same whether such an account exists or not; the sender finds out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetRequested {
    /// This request's id: one e-mail per id and account.
    pub request: String,
    pub login: String,
    /// Who asked ([`crate::throttle::Client`]): links are limited per account and asker.
    #[serde(default)]
    pub client: String,
}

/// "Tell `email` that `notice` happened to account `username`": the message on
/// `NoticeEmailQueue`. Written in the same transaction as the change, and only when `email` was
/// the account's confirmed address then: an unconfirmed one is sent nothing but confirmation
/// links. The notice goes to that address even if the account's is another by the time it is
/// sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRequested {
    /// This request's id: one e-mail per id.
    pub request: String,
    pub username: Username,
    pub email: String,
    pub notice: Notice,
}

/// What a notice tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// The owner changed the password (signed in, with the current one).
    PasswordChanged,
    /// The password was set with a reset link.
    PasswordReset,
    /// The owner asked to change the address to `to` (masked: see [`masked`]), which takes
    /// effect once they confirm it (the notice goes to the address the account has).
    EmailChangeAsked { to: String },
    /// The address changed to `to` (masked; the notice goes to the former address).
    EmailChanged { to: String },
}

/// How many accounts one address's reset request reaches at most.
pub const RESET_ACCOUNTS: i32 = 5;

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

    /// The storefront page `page` (`forgot`, ...).
    pub fn page(&self, page: &str) -> String {
        format!("{}/#/{page}", self.0)
    }
}

/// What the users service's e-mail senders work with: the users table, SES, where links point,
/// and the key that names the counts of e-mails to an address.
#[derive(Debug, Clone)]
pub struct Sender {
    pub store: crate::UserStore,
    pub mailer: shared::mail::Mailer,
    pub storefront: Storefront,
    pub pseudonyms: crate::pseudonym::PseudonymKey,
}

impl Sender {
    /// Sends `mail` to `to`: sent, or skipped when SES refuses it for good (in its sandbox, an
    /// address not verified with it), which no retry would change.
    pub async fn send(
        &self,
        to: &str,
        mail: &LinkEmail,
    ) -> Result<shared::mail::Sent, shared::sqs::MessageError> {
        use shared::mail::Sent;
        match self.mailer.send(to, &mail.email(to)).await {
            Ok(message_id) => Ok(Sent::Sent(message_id)),
            Err(err) if err.is_rejected() => {
                tracing::warn!(error = %err, "SES refused the e-mail for good");
                Ok(Sent::Skipped("SES refused the message"))
            }
            Err(err) => Err(shared::sqs::MessageError::retry(err)),
        }
    }
}

/// What a sender makes of a request, given the account as it is now: the e-mail and where it
/// goes, or why nothing is sent.
pub type Composed = Result<(String, LinkEmail), &'static str>;

impl Sender {
    /// Sends the e-mail of request `request` about account `username` once, however often its
    /// message arrives ([`shared::mail::send_once`]): `compose` decides from the account as it
    /// is then; an account that is gone is sent nothing.
    pub async fn once_for_account<F, Fut>(
        &self,
        request: &str,
        username: &Username,
        compose: F,
    ) -> Result<(), shared::sqs::MessageError>
    where
        F: FnOnce(crate::store::StoredUser) -> Fut,
        Fut: std::future::Future<Output = Result<Composed, shared::sqs::MessageError>>,
    {
        use shared::mail::Sent;
        use shared::sqs::MessageError;
        let key = format!("MAIL#{request}");
        shared::mail::send_once(self.store.table(), &key, || async {
            let Some(stored) = self
                .store
                .find(username)
                .await
                .map_err(MessageError::retry)?
            else {
                return Ok(Sent::Skipped("the account is gone"));
            };
            let (to, mail) = match compose(stored).await? {
                Ok(composed) => composed,
                Err(reason) => {
                    tracing::info!(%username, reason, "nothing sent");
                    return Ok(Sent::Skipped(reason));
                }
            };
            let sent = self.send(&to, &mail).await?;
            tracing::info!(%username, subject = mail.subject, "e-mail sent");
            Ok(sent)
        })
        .await
    }
}

/// An e-mail whose point is one link: its subject, text and HTML.
#[derive(Debug)]
pub struct LinkEmail {
    pub subject: &'static str,
    pub text: String,
    pub html: String,
}

impl LinkEmail {
    /// Asks `first_name` to confirm their address by `link`.
    pub fn verification(first_name: &str, link: &str) -> Self {
        let hours = VERIFY_FOR.as_secs() / 3600;
        Self::new(
            "Confirm your e-mail address",
            first_name,
            &format!("Please confirm that this is your e-mail address within {hours} hours:"),
            ("Confirm my e-mail address", link),
            &format!(
                "If you did not create an account at {SHOP_NAME}, ignore this e-mail: until the address is confirmed, \
                 we send it nothing but these requests, a few a day at most."
            ),
        )
    }

    /// Asks `first_name` (account `username`) to confirm by `link`, signed in, that the account's
    /// address becomes this one.
    pub fn email_change(first_name: &str, username: &Username, link: &str) -> Self {
        let hours = VERIFY_FOR.as_secs() / 3600;
        Self::new(
            "Confirm your new e-mail address",
            first_name,
            &format!(
                "You asked to make this the e-mail address of your account {username}. Open the \
                 link within {hours} hours and log in to your account to confirm:"
            ),
            ("Make this my address", link),
            "If you have no account with this username, ignore this e-mail: nothing changes.",
        )
    }

    /// Gives `first_name` (account `username`) the `link` that sets a new password.
    pub fn password_reset(first_name: &str, username: &Username, link: &str) -> Self {
        let minutes = RESET_FOR.as_secs() / 60;
        Self::new(
            "Reset your password",
            first_name,
            &format!(
                "Someone, hopefully you, asked to reset the password of your account {username}. \
                 Choose a new password within {minutes} minutes (the link works once):"
            ),
            ("Choose a new password", link),
            "If it was not you, ignore this e-mail: your password stays as it is.",
        )
    }

    /// Tells `first_name` (account `username`) what happened to their account, with the page
    /// of the `storefront` that undoes it if it was someone else.
    pub fn notice(
        first_name: &str,
        username: &Username,
        notice: &Notice,
        storefront: &Storefront,
    ) -> Self {
        let done = "If it was you, there is nothing to do.";
        match notice {
            Notice::PasswordChanged => Self::new(
                "Your password was changed",
                first_name,
                &format!(
                    "The password of your account {username} was just changed, and every device \
                     signed in to it was signed out. If it was not you, someone else knows your \
                     password: choose a new one now, with a link we e-mail to this address."
                ),
                ("Reset my password", &storefront.page("forgot")),
                done,
            ),
            Notice::PasswordReset => Self::new(
                "Your password was reset",
                first_name,
                &format!(
                    "The password of your account {username} was just set with a reset link we \
                     e-mailed to this address, and every device signed in to it was signed out. \
                     If it was not you, someone can read your e-mail: secure your mailbox first, \
                     then choose a new password."
                ),
                ("Reset my password", &storefront.page("forgot")),
                done,
            ),
            Notice::EmailChangeAsked { to } => Self::new(
                "Your e-mail address is about to change",
                first_name,
                &format!(
                    "Someone signed in to your account {username}, hopefully you, asked to change \
                     its e-mail address to {to}. It changes once they confirm that address, signed \
                     in. If it was not you, someone else knows your password: choose a new one now, \
                     with a link we e-mail to this address (that also cancels the change)."
                ),
                ("Reset my password", &storefront.page("forgot")),
                done,
            ),
            Notice::EmailChanged { to } => Self::new(
                "Your e-mail address was changed",
                first_name,
                &format!(
                    "The e-mail address of your account {username} is now {to}: we e-mail this \
                     address nothing more about it. If it was not you, someone else knows your \
                     password: log in at once if you still can, choose a new password and change \
                     the address back."
                ),
                ("Log in", &storefront.page("login")),
                done,
            ),
        }
    }

    /// `first_name` is what a customer typed: escaped in the HTML part, and in the text part
    /// only ever text.
    fn new(
        subject: &'static str,
        first_name: &str,
        before: &str,
        (button, link): (&str, &str),
        after: &str,
    ) -> Self {
        let text = format!(
            "Hello {first_name},\r\n\r\n{before}\r\n\r\n{link}\r\n\r\n{after}\r\n\r\n{SHOP_NAME}\r\n"
        );
        let [name, before, href, after] = [first_name, before, link, after].map(escape_html);
        let html = format!(
            "<!doctype html><html><body style=\"font-family: sans-serif\">\
             <p>Hello {name},</p><p>{before}</p>\
             <p><a href=\"{href}\">{button}</a></p>\
             <p>{after}</p><p>{SHOP_NAME}</p></body></html>"
        );
        Self {
            subject,
            text,
            html,
        }
    }

    pub fn email<'a>(&'a self, to: &'a str) -> Email<'a> {
        Email {
            to,
            subject: self.subject,
            text: &self.text,
            html: Some(&self.html),
            attachment: None,
        }
    }
}

/// `address` with most of its local part hidden (`a***@example.org`): enough for the owner to
/// recognise it, not to hand whoever reads the other mailbox this address. Notices carry it so,
/// from the moment they are written.
pub(crate) fn masked(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
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
    fn a_new_address_is_told_masked() {
        assert_eq!(masked("ada.lovelace@example.org"), "a***@example.org");
        assert_eq!(masked("nothing"), "***");
        let storefront = Storefront::new("shop.example.com");
        let notice = Notice::EmailChangeAsked {
            to: masked("ada.lovelace@example.org"),
        };
        let mail = LinkEmail::notice("Ada", &"ada".parse().unwrap(), &notice, &storefront);
        assert!(mail.text.contains("a***@example.org"), "{}", mail.text);
        assert!(mail.text.contains("https://shop.example.com/#/forgot"));
    }

    #[test]
    fn the_html_part_escapes_the_name() {
        let mail = LinkEmail::verification("<script>", "https://shop.example/#/verify?token=a&b");
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("token=a&amp;b"));
        assert!(
            mail.text
                .contains("https://shop.example/#/verify?token=a&b")
        );
    }
}
