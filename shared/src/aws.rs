//! AWS SDK configuration, loaded once per cold start and shared by every client of a function.
//!
//! Nothing here names an endpoint: the SDK reads `AWS_ENDPOINT_URL_DYNAMODB` (and its siblings for
//! other services) by itself, so the same binary talks to DynamoDB on AWS and to DynamoDB Local.
//!
//! The HTTPS client trusts the Amazon Trust Services roots only (`shared/certs/amazon-roots.pem`),
//! which every AWS endpoint chains to. The SDK's default loads the whole system store instead
//! (hundreds of files under `/etc/ssl/certs`) at every cold start; the benchmarks traced most
//! of the functions' init time beyond a hello-world's to that.

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};

pub use aws_config::SdkConfig;

/// The root certificates the functions trust, compiled in.
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-roots.pem");

/// The SDK configuration from the environment: region, credentials and endpoint overrides.
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    match https_client() {
        Some(client) => loader.http_client(client),
        None => loader,
    }
    .load()
    .await
}

/// An HTTPS client trusting the Amazon roots; `None` (the SDK's default client) should the
/// bundled certificates ever fail to make one.
fn https_client() -> Option<aws_sdk_dynamodb::config::SharedHttpClient> {
    let trust = TrustStore::empty().with_pem_certificate(AMAZON_ROOTS);
    let context = TlsContext::builder().with_trust_store(trust).build().ok()?;
    Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https(),
    )
}

/// A DynamoDB client for `config`.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_bundled_roots_are_five_valid_certificates() {
        let certificates = CertificateDer::pem_slice_iter(AMAZON_ROOTS)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(certificates.len(), 5);
        assert!(https_client().is_some());
    }
}
