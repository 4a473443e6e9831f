//! AWS SDK configuration, loaded once per cold start and shared by every client of a function.
//!
//! Nothing here names an endpoint: the SDK reads `AWS_ENDPOINT_URL_DYNAMODB` (and its siblings for
//! other services) by itself, so the same binary talks to DynamoDB on AWS and to DynamoDB Local.
//!
//! The HTTPS client trusts the Amazon Trust Services roots only (`shared/certs/amazon-roots.pem`),
//! which every AWS endpoint chains to. The SDK's default loads the whole system store instead
//! (hundreds of files under `/etc/ssl/certs`) at every cold start; the benchmarks traced most
//! of the functions' init time beyond a hello-world's to that.

use std::time::Instant;

use aws_sdk_dynamodb::config::{ConfigBag, RuntimeComponentsBuilder};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use crate::metrics::{self, Dependency, Metric};

pub use aws_config::SdkConfig;

/// The root certificates the functions trust, compiled in.
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-roots.pem");

/// The SDK configuration from the environment: region, credentials and endpoint overrides.
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    match https_client() {
        Some(client) => loader.http_client(Timed(client)),
        None => loader,
    }
    .load()
    .await
}

/// An HTTPS client trusting the Amazon roots; `None` (the SDK's default client) should the
/// bundled certificates ever fail to make one.
fn https_client() -> Option<SharedHttpClient> {
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

/// An HTTP client that records how long each call to AWS takes ([`Metric::DependencyLatency`]),
/// by the service the request is signed for: every SDK client of a function, every attempt.
#[derive(Debug)]
struct Timed(SharedHttpClient);

impl HttpClient for Timed {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(TimedConnector(self.0.http_connector(settings, components)))
    }

    // The rest as the wrapped client does: it builds its connector when the SDK client is made
    // (in init, not in the first request) and names itself in the user agent.
    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        config: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_base_client_config(components, config)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        config: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, config)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[derive(Debug)]
struct TimedConnector(SharedHttpConnector);

impl HttpConnector for TimedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let dependency = signed_for(request.headers().get("authorization"));
        let call = self.0.call(request);
        HttpConnectorFuture::new(async move {
            let _timed = Timing {
                dependency,
                started: Instant::now(),
            };
            call.await
        })
    }
}

/// Records a call's time when it ends: answered, failed, or dropped by the SDK's timeout (the
/// slowest calls, which a p99 must not miss).
struct Timing {
    dependency: Dependency,
    started: Instant,
}

impl Drop for Timing {
    fn drop(&mut self) {
        metrics::record(Metric::DependencyLatency {
            dependency: self.dependency,
            milliseconds: self.started.elapsed().as_secs_f64() * 1000.0,
        });
    }
}

/// The service a SigV4 `Authorization` header is signed for: the fourth part of its credential
/// scope (`Credential=<key id>/<date>/<region>/<service>/aws4_request`).
fn signed_for(authorization: Option<&str>) -> Dependency {
    let service = authorization
        .and_then(|header| header.split_once("Credential="))
        .and_then(|(_, credential)| credential.split('/').nth(3));
    service.map_or(Dependency::Other, Dependency::signed_as)
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

    #[test]
    fn calls_are_timed_by_the_service_they_are_signed_for() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/eu-west-1/dynamodb/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(signed_for(Some(header)), Dependency::DynamoDb);
        let sqs = header.replace("/dynamodb/", "/sqs/");
        assert_eq!(signed_for(Some(&sqs)), Dependency::Sqs);
        assert_eq!(signed_for(Some("Bearer abc")), Dependency::Other);
        assert_eq!(signed_for(None), Dependency::Other);
    }
}
