//! Where the search service keeps its catalogue: one object in its own bucket (`SEARCH_BUCKET`),
//! under a key that names the snapshot's format.
//!
//! Readers fetch it whole and ask again only whether it changed (`If-None-Match` with the ETag
//! they hold: a `304` costs no download). The writer replaces it only if it is still the one it
//! started from (`If-Match`, or `If-None-Match: *` for the first), so two writers can never
//! lose each other's changes: the one that loses reads again and re-applies its own.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use shared::config::ConfigError;

use crate::catalogue::{Catalogue, Unreadable};

/// The snapshot's key; a new format gets a new key, which the next write fills.
pub const KEY: &str = "catalogue/v1.bin";

/// The bucket could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the search bucket is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

/// A catalogue as stored, and the version of the object it was read from.
#[derive(Debug, Clone)]
pub struct Stored {
    pub catalogue: Catalogue,
    pub etag: String,
}

/// What asking whether the stored catalogue changed came to.
#[derive(Debug)]
pub enum Freshness {
    /// Still the version asked about.
    Unchanged,
    /// A newer version.
    Changed(Box<Stored>),
    /// There is none any more (deleted by hand).
    Gone,
}

/// What a conditional write came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    /// Written; its new version.
    As(String),
    /// Someone else wrote since the version the write started from.
    Conflict,
}

#[derive(Debug, Clone)]
pub struct SnapshotStore {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl SnapshotStore {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            s3,
            bucket: bucket.into(),
        }
    }

    /// The bucket named by `SEARCH_BUCKET`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_s3::Client::new(sdk),
            shared::config::required("SEARCH_BUCKET")?,
        ))
    }

    /// The stored catalogue; `None` before the first write.
    pub async fn load(&self) -> Result<Option<Stored>, StoreError> {
        self.fetch(None).await.map(Option::flatten)
    }

    /// The stored catalogue if it is no longer version `etag`.
    pub async fn load_if_changed(&self, etag: &str) -> Result<Freshness, StoreError> {
        Ok(match self.fetch(Some(etag)).await? {
            None => Freshness::Unchanged,
            Some(None) => Freshness::Gone,
            Some(Some(stored)) => Freshness::Changed(Box::new(stored)),
        })
    }

    /// `None` when the object is `unless` (unchanged); `Some(None)` when there is none.
    async fn fetch(&self, unless: Option<&str>) -> Result<Option<Option<Stored>>, StoreError> {
        let result = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(KEY)
            .set_if_none_match(unless.map(str::to_owned))
            .send()
            .await;
        let object = match result {
            Ok(object) => object,
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 304) =>
            {
                return Ok(None);
            }
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_no_such_key())
                    || err
                        .raw_response()
                        .is_some_and(|raw| raw.status().as_u16() == 404) =>
            {
                return Ok(Some(None));
            }
            Err(err) => {
                return Err(StoreError::Unavailable(
                    DisplayErrorContext(err).to_string(),
                ));
            }
        };
        let etag = object.e_tag.clone().unwrap_or_default();
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|err| StoreError::Unavailable(err.to_string()))?
            .into_bytes();
        let catalogue = Catalogue::from_bytes(&bytes)?;
        Ok(Some(Some(Stored { catalogue, etag })))
    }

    /// The stored object's version, readable or not; `None` before the first write.
    pub async fn etag(&self) -> Result<Option<String>, StoreError> {
        match self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(KEY)
            .send()
            .await
        {
            Ok(head) => Ok(head.e_tag),
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 404) =>
            {
                Ok(None)
            }
            Err(err) => Err(StoreError::Unavailable(
                DisplayErrorContext(err).to_string(),
            )),
        }
    }

    /// Writes `catalogue` if the stored one is still version `over` (`None`: if there is none).
    pub async fn save(
        &self,
        catalogue: &Catalogue,
        over: Option<&str>,
    ) -> Result<Saved, StoreError> {
        let mut put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(KEY)
            .content_type("application/octet-stream")
            .body(ByteStream::from(catalogue.to_bytes()));
        put = match over {
            Some(etag) => put.if_match(etag),
            None => put.if_none_match("*"),
        };
        match put.send().await {
            Ok(output) => Ok(Saved::As(output.e_tag.unwrap_or_default())),
            // 412: not the version it started from; 409: another conditional write to the key
            // was in progress (S3 asks to retry); 404: `If-Match` on an object that is gone.
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|raw| matches!(raw.status().as_u16(), 404 | 409 | 412)) =>
            {
                Ok(Saved::Conflict)
            }
            Err(err) => Err(StoreError::Unavailable(
                DisplayErrorContext(err).to_string(),
            )),
        }
    }
}
