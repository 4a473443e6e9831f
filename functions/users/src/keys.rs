//! The token signing secret, read from Secrets Manager (`TOKEN_SECRET_ARN`) when the function
//! starts, never from its environment: CloudFormation would write a resolved secret into the
//! function's configuration, where anyone allowed to read that configuration sees it.
//!
//! Rotating the secret (a new version becomes `AWSCURRENT`, the old one `AWSPREVIOUS`) logs nobody
//! out. New tokens are signed with the current version and name it ([`crate::token`]); a token
//! signed with the previous version stays valid until it expires. A running function learns of a
//! rotation when a token names a version it does not know, or once its keys are [`MAX_AGE`] old,
//! and then reads the secret again, at most once per [`RELOAD_INTERVAL`] however many such tokens
//! arrive.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
use shared::auth::Rejection;
use shared::config::{self, ConfigError};

use crate::token::{Claims, TokenKeys};

/// How long keys serve before the secret is read again (a rotation reaches the signer by then).
pub const MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// The least time between two reads of the secret for tokens of unknown versions.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// Reading the secret failed at start-up.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("reading the token secret failed: {0}")]
    Unavailable(String),
}

struct Source {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    ttl: Duration,
}

struct Loaded {
    keys: Arc<TokenKeys>,
    at: Instant,
}

/// The signing keys a function holds, and where to read them again.
pub struct SigningKeys {
    source: Option<Source>,
    loaded: RwLock<Loaded>,
    last_reload: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("secret", &self.source.as_ref().map(|s| &s.secret_id))
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// The secret named by `TOKEN_SECRET_ARN`, with `TOKEN_TTL_SECONDS` for new tokens.
    pub async fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, KeysError> {
        let secret_id = config::required("TOKEN_SECRET_ARN")?;
        let ttl = TokenKeys::ttl_from_env()?;
        Self::load(aws_sdk_secretsmanager::Client::new(sdk), secret_id, ttl).await
    }

    /// Reads the current version of `secret_id`.
    pub async fn load(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        ttl: Duration,
    ) -> Result<Self, KeysError> {
        let source = Source {
            client,
            secret_id: secret_id.into(),
            ttl,
        };
        let keys = source.read(false).await?;
        Ok(Self {
            source: Some(source),
            loaded: RwLock::new(Loaded {
                keys: Arc::new(keys),
                at: Instant::now(),
            }),
            last_reload: Mutex::new(None),
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

    /// Reads the secret again (with its previous version), keeping the keys held if that fails.
    async fn reload(&self) {
        let Some(source) = &self.source else {
            return;
        };
        match source.read(true).await {
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
        if self.source.is_some() && self.age() > MAX_AGE {
            self.reload().await;
        }
        self.held()
    }

    /// The claims of `token`, reading the secret again first if it was signed by a version these
    /// keys do not know (a rotation since they were read).
    pub async fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        let keys = self.signing().await;
        if keys.knows_signer_of(token) || !self.may_reload() {
            return keys.verify(token);
        }
        self.reload().await;
        self.held().verify(token)
    }

    /// Whether enough time has passed since the last read for unknown versions.
    fn may_reload(&self) -> bool {
        if self.source.is_none() {
            return false;
        }
        let Ok(mut last) = self.last_reload.lock() else {
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

impl Source {
    /// The current version and, if `with_previous`, the previous one when there is one.
    async fn read(&self, with_previous: bool) -> Result<TokenKeys, KeysError> {
        let current = self.version("AWSCURRENT").await?.ok_or_else(|| {
            KeysError::Unavailable(format!("{} has no current version", self.secret_id))
        })?;
        let previous = if with_previous {
            self.version("AWSPREVIOUS").await?
        } else {
            None
        };
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
        let result = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
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
}
