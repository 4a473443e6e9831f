//! The users service: accounts, passwords, sessions, and the authorizer every service relies on.
//!
//! - [`domain`]: usernames, e-mails, passwords and names that can only be built valid.
//! - [`password`]: argon2id hashing, with a dummy hash so unknown users cost the same as wrong
//!   passwords.
//! - [`token`]: signing and verifying the HS256 session tokens.
//! - [`keys`]: the signing secret, read from Secrets Manager, and its rotation.
//! - [`store`]: the users table (users, sessions and counts of failed log-ins).
//! - [`throttle`]: the limits on log-in attempts, per account, per client and per both.
//! - [`handlers`]: one module per Lambda, named as its binary in `src/bin/` and `template.yaml`.

pub mod domain;
pub mod handlers;
pub mod keys;
pub mod password;
mod store;
pub mod throttle;
mod token;

pub use keys::SigningKeys;
pub use store::UserStore;
pub use token::TokenKeys;

/// The cold start every users function shares: JSON logs, then the users table from the
/// environment. A missing setting fails here, naming the variable, before any request.
pub async fn init() -> Result<UserStore, shared::config::ConfigError> {
    shared::telemetry::init();
    UserStore::from_env(&shared::aws::sdk_config().await)
}

/// The log-in function's cold start: [`init_with_keys`] without the previous key, and the key
/// CloudFront proves itself with ([`throttle::EdgeKey`]).
pub async fn init_login() -> Result<(UserStore, SigningKeys, throttle::EdgeKey), keys::KeysError> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    let (keys, edge) = tokio::try_join!(
        SigningKeys::from_env(&sdk, false),
        throttle::EdgeKey::from_env(&sdk)
    )?;
    Ok((store, keys, edge))
}

/// The cold start of the two functions that sign or verify tokens: [`init`], and the signing
/// secret read from Secrets Manager.
/// `with_previous`: the previous version of the secret too, to verify tokens signed before a
/// rotation (the authorizer; log-in only signs).
pub async fn init_with_keys(
    with_previous: bool,
) -> Result<(UserStore, SigningKeys), keys::KeysError> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    let keys = SigningKeys::from_env(&sdk, with_previous).await?;
    Ok((store, keys))
}
