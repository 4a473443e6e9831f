//! Random secrets the users service hands out (refresh tokens, e-mailed links' tokens): 256
//! random bits in URL-safe base64, and the SHA-256 the table keeps instead of the secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use shared::error::ErrorCode;
use shared::http::HttpError;

/// The length of a secret's text: 32 bytes in unpadded base64.
pub(crate) const LENGTH: usize = 43;

/// The operating system gave no randomness: nothing safe can be issued.
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a secret: {0}")]
pub struct NoRandomness(getrandom::Error);

impl HttpError for NoRandomness {
    fn code(&self) -> ErrorCode {
        ErrorCode::InternalError
    }
}

/// A new secret of 256 random bits.
pub(crate) fn generate() -> Result<String, NoRandomness> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(NoRandomness)?;
    Ok(URL_SAFE_NO_PAD.encode(secret))
}

/// Whether `text` has a secret's shape.
pub(crate) fn is_shaped(text: &str) -> bool {
    text.len() == LENGTH
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a table keeps of `secret`: its SHA-256, never the secret.
pub(crate) fn hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}
