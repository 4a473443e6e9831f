//! Asking the products service for a product's current name and price.
//!
//! The orders service never reads the products table. It invokes the products service's
//! `product-get` function, with the same HTTP API (payload 2.0) event API Gateway would send, and
//! reads the HTTP response it returns. Invoking the function by name (from the template, `!Ref
//! ProductGetFunction`) avoids the circular dependency that naming the API's own URL in one of its
//! functions would create.

use std::collections::HashMap;

use aws_sdk_lambda::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::http::{Method, StatusCode};
use serde::Deserialize;
use shared::config::{self, ConfigError};
use shared::http::HttpError;
use shared::money::{Currency, Money};

use crate::domain::Priced;

/// The catalogue could not price a product.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("there is no product {0:?}")]
    NotFound(String),
    #[error("the product catalogue did not answer: {0}")]
    Unavailable(String),
}

impl HttpError for CatalogError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "product_not_found",
            Self::Unavailable(_) => "catalog_unavailable",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::NotFound(_) => self.to_string(),
            Self::Unavailable(_) => {
                "the product catalogue is unavailable, so nothing can be added right now; your \
                 order is unchanged, try again shortly"
                    .into()
            }
        }
    }
}

/// The parts of a function's HTTP API response (payload 2.0) that matter here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpAnswer {
    status_code: u16,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

/// The fields of the products service's answer that an order needs; others are ignored.
#[derive(Debug, Deserialize)]
struct ProductAnswer {
    slug: String,
    name: String,
    price: i64,
    currency: Currency,
}

/// The products service, reached by invoking its `product-get` function.
#[derive(Debug, Clone)]
pub struct Catalog {
    lambda: aws_sdk_lambda::Client,
    function: String,
}

impl Catalog {
    pub fn new(lambda: aws_sdk_lambda::Client, function: impl Into<String>) -> Self {
        Self {
            lambda,
            function: function.into(),
        }
    }

    /// The function named by `PRODUCT_GET_FUNCTION`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_lambda::Client::new(sdk),
            config::required("PRODUCT_GET_FUNCTION")?,
        ))
    }

    /// The product `product_id` as the catalogue prices it now.
    pub async fn price(&self, product_id: &str) -> Result<Priced, CatalogError> {
        let unavailable = |why: String| CatalogError::Unavailable(why);
        let event = serde_json::to_vec(&product_get_event(product_id))
            .map_err(|err| unavailable(err.to_string()))?;
        let output = self
            .lambda
            .invoke()
            .function_name(&self.function)
            .payload(Blob::new(event))
            .send()
            .await
            .map_err(|err| {
                unavailable(aws_sdk_lambda::error::DisplayErrorContext(err).to_string())
            })?;
        if let Some(error) = output.function_error() {
            return Err(unavailable(format!("product-get failed: {error}")));
        }
        let payload = output
            .payload()
            .ok_or_else(|| unavailable("product-get returned nothing".into()))?;
        let response: HttpAnswer = serde_json::from_slice(payload.as_ref())
            .map_err(|err| unavailable(format!("product-get's answer is not HTTP: {err}")))?;
        match response.status_code {
            200 => {
                let body = response.body.unwrap_or_default();
                let body = if response.is_base64_encoded {
                    BASE64
                        .decode(body)
                        .map_err(|err| unavailable(format!("undecodable body: {err}")))?
                } else {
                    body.into_bytes()
                };
                let product: ProductAnswer = serde_json::from_slice(&body)
                    .map_err(|err| unavailable(format!("unexpected product: {err}")))?;
                Ok(Priced {
                    product_id: product.slug,
                    name: product.name,
                    unit_price: Money::new(product.price, product.currency),
                })
            }
            404 => Err(CatalogError::NotFound(product_id.to_owned())),
            status => Err(unavailable(format!("product-get answered {status}"))),
        }
    }
}

/// `GET /api/product/{id}` as API Gateway would deliver it.
fn product_get_event(product_id: &str) -> ApiGatewayV2httpRequest {
    let path = format!("/api/product/{product_id}");
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = Method::GET;
    http.path = Some(path.clone());
    http.protocol = Some("HTTP/1.1".into());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some("GET /api/product/{id}".into());
    context.stage = Some("$default".into());
    context.http = http;
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some("GET /api/product/{id}".into());
    event.raw_path = Some(path);
    event.raw_query_string = Some(String::new());
    event.path_parameters = HashMap::from([("id".to_owned(), product_id.to_owned())]);
    event.request_context = context;
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    #[test]
    fn the_event_is_what_product_get_expects() {
        let json = serde_json::to_string(&product_get_event("enamel-camp-mug")).unwrap();
        let request = lambda_http::request::from_str(&json).unwrap();
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.uri().path(), "/api/product/enamel-camp-mug");
        assert_eq!(
            request.path_parameters().first("id"),
            Some("enamel-camp-mug")
        );
    }
}
