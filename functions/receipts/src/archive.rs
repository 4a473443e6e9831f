//! The receipts bucket: each receipt's PDF under `receipts/<order id>.pdf`, rendered once.
//!
//! The first to need a receipt (the e-mail or a download) renders it and stores it with a
//! conditional write (`If-None-Match: *`); whoever comes later, or loses that race, reads the
//! stored one. So every copy a customer ever gets is the same document.

use aws_sdk_s3::primitives::ByteStream;
use shared::config::ConfigError;
use shared::messages::ReceiptRequested;

use crate::pdf::{self, RenderError};
use crate::receipt::Receipt;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the receipts bucket is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Rounds of listing and deleting a receipt's versions before erasing it is retried later.
const ERASE_ROUNDS: usize = 5;

#[derive(Debug, Clone)]
pub struct Archive {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl Archive {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            s3,
            bucket: bucket.into(),
        }
    }

    /// The bucket named by `RECEIPTS_BUCKET`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_s3::Client::new(sdk),
            shared::config::required("RECEIPTS_BUCKET")?,
        ))
    }

    pub fn key(order_id: &str) -> String {
        format!("receipts/{order_id}.pdf")
    }

    /// The receipt's PDF: the stored one, or a new one that is then stored.
    pub async fn get_or_render(&self, receipt: &ReceiptRequested) -> Result<Vec<u8>, ArchiveError> {
        let key = Self::key(receipt.order_id.as_str());
        if let Some(stored) = self.get(&key).await? {
            return Ok(stored);
        }
        let rendered = pdf::render(&Receipt::from(receipt))?;
        let stored = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(ByteStream::from(rendered.clone()))
            .content_type("application/pdf")
            .if_none_match("*")
            .send()
            .await;
        match stored {
            Ok(_) => Ok(rendered),
            // Somebody else stored it first: theirs is the receipt.
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 412) =>
            {
                self.get(&key)
                    .await?
                    .ok_or_else(|| ArchiveError::Unavailable("a stored receipt vanished".into()))
            }
            Err(err) => Err(ArchiveError::Unavailable(
                aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
            )),
        }
    }

    /// Deletes every stored version of the order's receipt, and every delete marker of it: the
    /// bucket is versioned, so a plain delete would only hide the PDF behind a marker. How many
    /// versions and markers went. Nothing stored is nothing to do.
    pub async fn erase(&self, order_id: &str) -> Result<usize, ArchiveError> {
        let key = Self::key(order_id);
        let unavailable = |err: String| ArchiveError::Unavailable(format!("erasing {key}: {err}"));
        let mut erased = 0;
        // Deleting a version does not move the others: list from the start until none is left
        // (a receipt has a handful at most). Versions that will not go make the message retry.
        for round in 0..=ERASE_ROUNDS {
            let listed = self
                .s3
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(&key)
                .send()
                .await
                .map_err(|err| {
                    unavailable(aws_sdk_s3::error::DisplayErrorContext(err).to_string())
                })?;
            let versions = listed
                .versions()
                .iter()
                .map(|version| (version.key(), version.version_id()))
                .chain(
                    listed
                        .delete_markers()
                        .iter()
                        .map(|marker| (marker.key(), marker.version_id())),
                )
                // The prefix also finds `<key>x`: only this key's versions go.
                .filter(|(listed, _)| *listed == Some(key.as_str()))
                .filter_map(|(_, version)| version.map(str::to_owned))
                .collect::<Vec<_>>();
            if versions.is_empty() {
                return Ok(erased);
            }
            if round == ERASE_ROUNDS {
                break;
            }
            for version in versions {
                self.s3
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .version_id(version)
                    .send()
                    .await
                    .map_err(|err| {
                        unavailable(aws_sdk_s3::error::DisplayErrorContext(err).to_string())
                    })?;
                erased += 1;
            }
        }
        Err(unavailable(format!(
            "versions were left after {ERASE_ROUNDS} rounds"
        )))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        let result = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match result {
            Ok(object) => {
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|err| ArchiveError::Unavailable(err.to_string()))?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(err) => Err(ArchiveError::Unavailable(
                aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
            )),
        }
    }
}
