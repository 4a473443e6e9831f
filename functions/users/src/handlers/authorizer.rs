//! The HTTP API's Lambda authorizer, run by API Gateway before every protected route.
//!
//! It verifies the bearer token (signature, algorithm, issuer, audience, expiry), then checks that
//! the session it names is still live and its user still exists, reading both consistently, so a
//! logout takes effect on the very next request. Caching is off in the template for the same
//! reason.
//!
//! It always answers `isAuthorized: true` and puts its verdict in the context (see
//! [`shared::auth`]): the function then answers 401 with a reason in the shop's JSON shape, where
//! a refusal here would make API Gateway answer a bare 403.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::http::{HeaderMap, header};
use shared::auth::{AuthContext, Rejection};
use shared::metrics::{self, Metric};
use time::OffsetDateTime;

use crate::keys::SigningKeys;
use crate::store::UserStore;

pub type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<AuthContext>;

pub async fn handle(
    store: &UserStore,
    keys: &SigningKeys,
    event: ApiGatewayV2CustomAuthorizerV2Request,
) -> Response {
    let context = authorize(store, keys, &event.headers).await;
    if let AuthContext::Anonymous { reason } = &context {
        tracing::info!(
            ?reason,
            route = event.route_key.as_deref(),
            "request not authenticated"
        );
    }
    let mut response = Response::default();
    response.is_authorized = true;
    response.context = context;
    response
}

async fn authorize(store: &UserStore, keys: &SigningKeys, headers: &HeaderMap) -> AuthContext {
    let anonymous = |reason| AuthContext::Anonymous { reason };
    let Some(token) = bearer_token(headers) else {
        return anonymous(Rejection::MissingToken);
    };
    let claims = match keys.verify(token).await {
        Ok(claims) => claims,
        Err(reason) => return anonymous(reason),
    };
    match store
        .session_user(&claims.sid, &claims.sub, OffsetDateTime::now_utc())
        .await
    {
        Ok(Some(user)) => AuthContext::Authenticated {
            name: format!("{} {}", user.first_name, user.last_name),
            username: user.username,
            email: user.email,
            email_verified: user.email_verified == Some(true),
            role: user.role,
            session_id: claims.sid,
        },
        Ok(None) => anonymous(Rejection::SessionEnded),
        Err(err) => {
            tracing::error!(error = %err, "could not check a session");
            metrics::record(Metric::AuthorizerFailures);
            anonymous(Rejection::Unavailable)
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_tokens_are_read_whatever_the_scheme_case() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer   abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
