//! Calling another service's HTTP function directly, through the Lambda Invoke API.
//!
//! A function cannot name the URL of the HTTP API it belongs to without making the template
//! circular, so when one service needs another's answer (orders pricing a product, receipts
//! checking an order) it invokes the other's function by name, handing it the same HTTP API
//! (payload 2.0) event API Gateway would, and reads the HTTP response it returns. The other
//! service keeps its own rules: validation, ownership checks, error answers.

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_sdk_lambda::primitives::Blob;
use base64::Engine;
use lambda_http::http::Method;
use serde::Deserialize;

/// Another service's HTTP function, by name.
#[derive(Debug, Clone)]
pub struct HttpFunction {
    lambda: aws_sdk_lambda::Client,
    name: String,
}

/// The function's HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The function could not be invoked, or did not answer in HTTP.
#[derive(Debug, thiserror::Error)]
#[error("invoking {function} failed: {detail}")]
pub struct InvokeError {
    function: String,
    detail: String,
}

/// A `GET` to send: the route as the template declares it, and the values of its path
/// parameters. `caller` is the authorizer context to pass on, for a route that needs one: the
/// called function then applies its own rules to the same caller.
#[derive(Debug, Clone, Copy)]
pub struct Get<'a> {
    pub route: &'a str,
    pub parameters: &'a [(&'a str, &'a str)],
    pub caller: Option<&'a ApiGatewayRequestAuthorizer>,
}

/// The parts of a payload 2.0 response that matter here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    status_code: u16,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

impl HttpFunction {
    pub fn new(lambda: aws_sdk_lambda::Client, name: impl Into<String>) -> Self {
        Self {
            lambda,
            name: name.into(),
        }
    }

    /// The function named by the environment variable `variable`.
    pub fn from_env(
        sdk: &crate::aws::SdkConfig,
        variable: &'static str,
    ) -> Result<Self, crate::config::ConfigError> {
        Ok(Self::new(
            aws_sdk_lambda::Client::new(sdk),
            crate::config::required(variable)?,
        ))
    }

    pub async fn get(&self, get: Get<'_>) -> Result<HttpAnswer, InvokeError> {
        let fail = |detail: String| InvokeError {
            function: self.name.clone(),
            detail,
        };
        let event = serde_json::to_vec(&get_event(get)).map_err(|err| fail(err.to_string()))?;
        let output = self
            .lambda
            .invoke()
            .function_name(&self.name)
            .payload(Blob::new(event))
            .send()
            .await
            .map_err(|err| fail(aws_sdk_lambda::error::DisplayErrorContext(err).to_string()))?;
        if let Some(error) = output.function_error() {
            return Err(fail(format!("the function failed: {error}")));
        }
        let payload = output
            .payload()
            .ok_or_else(|| fail("the function returned nothing".into()))?;
        let payload: Payload = serde_json::from_slice(payload.as_ref())
            .map_err(|err| fail(format!("the answer is not an HTTP response: {err}")))?;
        let body = payload.body.unwrap_or_default();
        let body = if payload.is_base64_encoded {
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|err| fail(format!("undecodable body: {err}")))?
        } else {
            body.into_bytes()
        };
        Ok(HttpAnswer {
            status: payload.status_code,
            body,
        })
    }
}

/// The event API Gateway would deliver for `get`.
fn get_event(get: Get<'_>) -> ApiGatewayV2httpRequest {
    let template = get
        .route
        .split_once(' ')
        .map_or(get.route, |(_, path)| path);
    let path = get
        .parameters
        .iter()
        .fold(template.to_owned(), |path, (name, value)| {
            path.replace(&format!("{{{name}}}"), value)
        });
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = Method::GET;
    http.path = Some(path.clone());
    http.protocol = Some("HTTP/1.1".into());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(get.route.to_owned());
    context.stage = Some("$default".into());
    context.http = http;
    context.authorizer = get.caller.cloned();
    // The called function carries on the caller's journey.
    context.request_id = crate::journey::current().map(|journey| journey.id().to_owned());
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(get.route.to_owned());
    event.raw_path = Some(path);
    event.raw_query_string = Some(String::new());
    event.path_parameters = get
        .parameters
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect::<HashMap<_, _>>();
    event.request_context = context;
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    #[test]
    fn the_event_is_what_the_called_function_sees_from_api_gateway() {
        let mut caller = ApiGatewayRequestAuthorizer::default();
        caller
            .fields
            .insert("status".into(), serde_json::json!("authenticated"));
        let event = get_event(Get {
            route: "GET /api/order/{id}",
            parameters: &[("id", "abc")],
            caller: Some(&caller),
        });
        let json = serde_json::to_string(&event).unwrap();
        let request = lambda_http::request::from_str(&json).unwrap();
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.uri().path(), "/api/order/abc");
        assert_eq!(request.path_parameters().first("id"), Some("abc"));
        let authorizer = request
            .request_context_ref()
            .and_then(|context| context.authorizer())
            .unwrap();
        assert_eq!(authorizer.fields["status"], "authenticated");
    }
}
