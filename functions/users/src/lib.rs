//! The users service: accounts, passwords, sessions, and the authorizer every service relies on.
//!
//! - [`domain`]: usernames, e-mails, passwords and names that can only be built valid.
//! - [`email`]: the e-mails the service sends (verification), their links and tokens.
//! - [`breached`]: the bundled list of common breached passwords that new passwords may not be.
//! - [`password`]: argon2id hashing in one buffer per process, with a dummy hash so unknown
//!   users cost the same as wrong passwords.
//! - [`sign_in`]: what log-in and a password change share: the throttled password check, and
//!   starting a session.
//! - [`secret`]: random secrets handed out, and the hashes kept of them.
//! - [`refresh`]: staying signed in: refresh tokens in a cookie, rotated on every use.
//! - [`token`]: signing and verifying the HS256 session tokens.
//! - [`keys`]: the signing secret, read from Secrets Manager, and its rotation.
//! - [`store`]: the users table (users, sessions, counts of failed log-ins, the outbox and the
//!   e-mailed links).
//! - [`throttle`]: the limits on log-in attempts, per account, per client and per both.
//! - [`tombstone`]: what keeps a deleted account's username from being registered again soon.
//! - [`pseudonym`]: keys made from a username or an address without holding it.
//! - [`handlers`]: one module per Lambda, named as its binary in `src/bin/` and `template.yaml`.

mod breached;
pub mod domain;
pub mod email;
pub mod handlers;
pub mod keys;
pub mod password;
pub mod pseudonym;
pub mod refresh;
mod secret;
mod sign_in;
mod store;
pub mod throttle;
mod token;
pub mod tombstone;

pub use keys::SigningKeys;
pub use store::{Resend, Turn, UserStore};
pub use token::TokenKeys;

/// The cold start every users function shares: JSON logs, then the users table from the
/// environment. A missing setting fails here, naming the variable, before any request.
pub async fn init() -> Result<UserStore, shared::config::ConfigError> {
    Ok(init_sdk().await?.1)
}

/// The log-in function's cold start: [`init`], the signing secret's current version (log-in only
/// signs), and the key CloudFront proves itself with ([`throttle::EdgeKey`]), both read from
/// Secrets Manager with one client, at once.
pub async fn init_login() -> Result<(UserStore, SigningKeys, throttle::EdgeKey), keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let secrets = keys::secrets_client(&sdk);
    let (keys, edge) = tokio::try_join!(
        SigningKeys::from_env(&secrets, false),
        throttle::EdgeKey::from_env(&secrets)
    )?;
    Ok((store, keys, edge))
}

/// The cold start of a function that counts requests by client address (see
/// [`throttle::Client`]): [`init`], and the key CloudFront proves itself with.
pub async fn init_edge() -> Result<(UserStore, throttle::EdgeKey), keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let edge = throttle::EdgeKey::from_env(&keys::secrets_client(&sdk)).await?;
    Ok((store, edge))
}

/// The cold start of registration and of the "is it taken?" check: [`init`], and the key
/// deleted accounts' tombstones are named with.
pub async fn init_pseudonyms() -> Result<(UserStore, pseudonym::PseudonymKey), keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let key = pseudonym::PseudonymKey::from_env(&keys::secrets_client(&sdk)).await?;
    Ok((store, key))
}

/// The account deletion's cold start: [`init_edge`]'s, and the pseudonyms' key, read with one
/// client, at once.
pub async fn init_delete()
-> Result<(UserStore, throttle::EdgeKey, pseudonym::PseudonymKey), keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let secrets = keys::secrets_client(&sdk);
    let (edge, tombstones) = tokio::try_join!(
        throttle::EdgeKey::from_env(&secrets),
        pseudonym::PseudonymKey::from_env(&secrets)
    )?;
    Ok((store, edge, tombstones))
}

/// An e-mail sender's cold start: [`init`], SES with the sender's address, where the
/// storefront is (links point there), and the key that names the counts of e-mails to an
/// address.
pub async fn init_mail() -> Result<email::Sender, keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let pseudonyms = pseudonym::PseudonymKey::from_env(&keys::secrets_client(&sdk)).await?;
    Ok(email::Sender {
        store,
        mailer: shared::mail::Mailer::from_env(&sdk)?,
        storefront: email::Storefront::from_env()?,
        pseudonyms,
    })
}

/// The refresh function's cold start: [`init`], and the signing secret's current version.
pub async fn init_signing() -> Result<(UserStore, SigningKeys), keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let keys = SigningKeys::from_env(&keys::secrets_client(&sdk), false).await?;
    Ok((store, keys))
}

/// The authorizer's cold start: [`init`], and the signing secret's current and previous
/// versions, to verify tokens signed before a rotation.
pub async fn init_authorizer() -> Result<(UserStore, SigningKeys), keys::KeysError> {
    let (sdk, store) = init_sdk().await?;
    let keys = SigningKeys::from_env(&keys::secrets_client(&sdk), true).await?;
    Ok((store, keys))
}

/// JSON logs, the SDK's configuration and the users table.
pub async fn init_sdk() -> Result<(shared::aws::SdkConfig, UserStore), shared::config::ConfigError>
{
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    Ok((sdk, store))
}
