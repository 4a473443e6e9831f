//! The token signing secret, read from Secrets Manager (`TOKEN_SECRET_ARN`) when the function
//! starts, never from its environment: CloudFormation would write a resolved secret into the
//! function's configuration, where anyone allowed to read that configuration sees it.
//!
//! Rotating the secret (a new version becomes `AWSCURRENT`, the old one `AWSPREVIOUS`) logs nobody
//! out. New tokens are signed with the current version and name it ([`crate::token`]); a token
//! signed with the previous version stays valid until it expires (the authorizer reads both
//! versions when it starts). A running function learns of a rotation when a token names a version
//! it does not know (shaped like a version id), or once its keys are [`MAX_AGE`] old, and then
//! reads the secret again: at most once per [`RELOAD_INTERVAL`], however many such tokens arrive
//! and whether or not Secrets Manager answers, each call bounded by [`READ_TIMEOUT`].

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
use shared::auth::Rejection;
use shared::config::{self, ConfigError};

use crate::token::{Claims, TokenKeys};

/// How long keys serve before the secret is read again (a rotation reaches the signer by then).
pub const MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// The least time between two reads of the secret after start-up.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(10);
/// How long one call to Secrets Manager may take, retries included (the authorizer makes two per
/// read, the current version and the previous, at once).
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// Reading the secret failed at start-up.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("reading a secret failed: {0}")]
    Unavailable(String),
}

struct Source {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    ttl: Duration,
    /// Whether to hold the previous version too (to verify tokens; signing needs only the
    /// current one).
    with_previous: bool,
}

struct Loaded {
    keys: Arc<TokenKeys>,
    at: Instant,
}

/// The signing keys a function holds, and where to read them again.
pub struct SigningKeys {
    source: Source,
    loaded: RwLock<Loaded>,
    last_attempt: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("secret", &self.source.secret_id)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// The secret named by `TOKEN_SECRET_ARN`, with `TOKEN_TTL_SECONDS` for new tokens; with its
    /// previous version too if `with_previous` (the authorizer's case).
    pub async fn from_env(
        client: &aws_sdk_secretsmanager::Client,
        with_previous: bool,
    ) -> Result<Self, KeysError> {
        let secret_id = config::required("TOKEN_SECRET_ARN")?;
        let ttl = TokenKeys::ttl_from_env()?;
        Self::load(client.clone(), secret_id, ttl, with_previous).await
    }

    /// Reads `secret_id`: its current version, and its previous one if `with_previous`.
    pub async fn load(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        ttl: Duration,
        with_previous: bool,
    ) -> Result<Self, KeysError> {
        let source = Source {
            client,
            secret_id: secret_id.into(),
            ttl,
            with_previous,
        };
        let keys = source.read().await?;
        Ok(Self {
            source,
            loaded: RwLock::new(Loaded {
                keys: Arc::new(keys),
                at: Instant::now(),
            }),
            last_attempt: Mutex::new(None),
        })
    }

    fn held(&self) -> Arc<TokenKeys> {
        match self.loaded.read() {
            Ok(loaded) => Arc::clone(&loaded.keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().keys),
        }
    }

    fn age(&self) -> Duration {
        self.loaded
            .read()
            .map_or(Duration::MAX, |loaded| loaded.at.elapsed())
    }

    /// Reads the secret again, keeping the keys held if that fails; nothing if it was tried less
    /// than [`RELOAD_INTERVAL`] ago.
    async fn reload(&self) {
        if !self.may_reload() {
            return;
        }
        match self.source.read().await {
            Ok(keys) => {
                if let Ok(mut loaded) = self.loaded.write() {
                    *loaded = Loaded {
                        keys: Arc::new(keys),
                        at: Instant::now(),
                    };
                }
            }
            Err(err) => tracing::warn!(error = %err, "reading the token secret again failed"),
        }
    }

    /// The keys to sign new tokens with, read again once they are [`MAX_AGE`] old.
    pub async fn signing(&self) -> Arc<TokenKeys> {
        if self.age() > MAX_AGE {
            self.reload().await;
        }
        self.held()
    }

    /// The claims of `token`, reading the secret again first if the keys are old, or the token
    /// names a version they do not know (a rotation since they were read): once at most.
    pub async fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        let unknown = self
            .held()
            .unknown_signer(token)
            .is_some_and(|kid| looks_like_a_version_id(&kid));
        if unknown || self.age() > MAX_AGE {
            self.reload().await;
        }
        self.held().verify(token)
    }

    /// Whether the secret may be read now, counting this as an attempt if so.
    fn may_reload(&self) -> bool {
        let Ok(mut last) = self.last_attempt.lock() else {
            return false;
        };
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < RELOAD_INTERVAL) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// Whether `kid` could be a Secrets Manager version id (a UUID): only such a token can be worth
/// reading the secret again for.
fn looks_like_a_version_id(kid: &str) -> bool {
    kid.len() == 36
        && kid.char_indices().all(|(index, c)| match index {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A Secrets Manager client whose calls give up after [`READ_TIMEOUT`].
pub(crate) fn secrets_client(sdk: &shared::aws::SdkConfig) -> aws_sdk_secretsmanager::Client {
    let timeouts = aws_sdk_secretsmanager::config::timeout::TimeoutConfig::builder()
        .operation_timeout(READ_TIMEOUT)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(sdk)
            .timeout_config(timeouts)
            .build(),
    )
}

/// The current value of the secret `secret_id`.
pub(crate) async fn current_value(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, KeysError> {
    read_version(client, secret_id, "AWSCURRENT")
        .await?
        .and_then(|output| output.secret_string)
        .ok_or_else(|| KeysError::Unavailable(format!("{secret_id} has no current text")))
}

/// The version of `secret_id` with `stage`, or `None` if no version has it (the current version
/// always exists: its absence is an error).
async fn read_version(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    stage: &str,
) -> Result<Option<GetSecretValueOutput>, KeysError> {
    let result = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage(stage)
        .send()
        .await;
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception())
                && stage != "AWSCURRENT" =>
        {
            Ok(None)
        }
        Err(err) => Err(KeysError::Unavailable(
            aws_sdk_secretsmanager::error::DisplayErrorContext(err).to_string(),
        )),
    }
}

impl Source {
    /// The current version and, if wanted, the previous one when there is one.
    async fn read(&self) -> Result<TokenKeys, KeysError> {
        // Both at once: a cold start waits for one round trip to Secrets Manager, not two.
        let previous = async {
            if self.with_previous {
                self.version("AWSPREVIOUS").await
            } else {
                Ok(None)
            }
        };
        let (current, previous) = tokio::try_join!(self.version("AWSCURRENT"), previous)?;
        let current = current.ok_or_else(|| {
            KeysError::Unavailable(format!("{} has no current version", self.secret_id))
        })?;
        let parts = |output: &GetSecretValueOutput| {
            (
                output.version_id().unwrap_or_default().to_owned(),
                output.secret_string().unwrap_or_default().to_owned(),
            )
        };
        let (kid, secret) = parts(&current);
        let previous = previous.as_ref().map(parts);
        Ok(TokenKeys::versions(
            (&kid, secret.as_bytes()),
            previous
                .as_ref()
                .map(|(kid, secret)| (kid.as_str(), secret.as_bytes())),
            self.ttl,
        )?)
    }

    /// The version with `stage`, or `None` if no version has it.
    async fn version(&self, stage: &str) -> Result<Option<GetSecretValueOutput>, KeysError> {
        read_version(&self.client, &self.secret_id, stage).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_version_id_is_worth_reading_the_secret_again_for() {
        assert!(looks_like_a_version_id(
            "0f3c1a52-9b1e-4c8f-a2d4-6e7b8c9d0e1f"
        ));
        for junk in [
            "",
            "v2",
            "0f3c1a52-9b1e-4c8f-a2d4-6e7b8c9d0e1",
            "0f3c1a52x9b1e-4c8f-a2d4-6e7b8c9d0e1f",
            "../../../../etc/passwd-0000000000000",
        ] {
            assert!(!looks_like_a_version_id(junk), "{junk}");
        }
    }
}
