//! Who is calling.
//!
//! The users service owns the accounts and sessions, so it alone verifies tokens: its Lambda
//! authorizer runs before every protected route (API Gateway on AWS, the local runner at home),
//! checks the token's signature and expiry and that its session has not been logged out, and hands
//! the function an [`AuthContext`]. No other service reads the users table.
//!
//! The authorizer lets every request through and says in the context whether it is authenticated.
//! A function that needs a caller asks for one with [`Caller::from_request`], which answers 401 (in
//! our JSON shape, with the reason) when there is none. That keeps the answer the same everywhere:
//! an HTTP API authorizer that refused would make API Gateway answer a bare 403 instead.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::ids::Username;

/// What a user may do beyond their own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "customer" => Some(Self::Customer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The authorizer's verdict, carried to the function in `requestContext.authorizer.lambda`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AuthContext {
    Authenticated {
        username: Username,
        /// Where the shop writes to the user (receipts), as registered.
        email: String,
        /// Whether the user confirmed `email`; until then the shop e-mails it nothing else.
        /// Absent (from an authorizer older than the field) reads as not confirmed.
        #[serde(default)]
        email_verified: bool,
        /// First and last name, for receipts.
        name: String,
        role: Role,
        session_id: String,
    },
    Anonymous {
        reason: Rejection,
    },
}

/// Fails closed: a context nobody filled in authenticates nobody.
impl Default for AuthContext {
    fn default() -> Self {
        Self::Anonymous {
            reason: Rejection::MissingToken,
        }
    }
}

/// Why a request carries no usable identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// No `Authorization: Bearer` header.
    MissingToken,
    /// Not a token we signed: bad format, signature, algorithm, issuer or audience.
    InvalidToken,
    ExpiredToken,
    /// The session was logged out, or its user no longer exists.
    SessionEnded,
    /// The users service could not check the session.
    Unavailable,
}

impl Rejection {
    fn into_error(self) -> ApiError {
        let message = match self {
            Self::MissingToken => {
                "this route needs a token: send `Authorization: Bearer <token>` from POST /api/user/login"
            }
            Self::InvalidToken => "the token is not valid; log in again",
            Self::ExpiredToken => "the token has expired; log in again",
            Self::SessionEnded => "this session has ended; log in again",
            Self::Unavailable => {
                return ApiError::new(
                    ErrorCode::AuthUnavailable,
                    "signing in is temporarily unavailable; try again shortly",
                );
            }
        };
        ApiError::new(ErrorCode::Unauthorized, message)
    }
}

/// An authenticated caller, as the authorizer vouched for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub username: Username,
    pub email: String,
    /// Whether the caller confirmed `email` (see [`AuthContext`]).
    pub email_verified: bool,
    pub name: String,
    pub role: Role,
    pub session_id: String,
}

impl Caller {
    /// The caller of `request`, or a 401 (503 if the authorizer could not check) saying why not.
    ///
    /// A request that reaches a protected function with no authorizer context at all is refused
    /// too: it means the route was deployed without the authorizer, and failing closed is the
    /// only safe answer.
    pub fn from_request(request: &Request) -> Result<Self, ApiError> {
        let context = request
            .request_context_ref()
            .and_then(RequestContext::authorizer)
            .filter(|authorizer| !authorizer.fields.is_empty())
            .map(|authorizer| {
                serde_json::to_value(&authorizer.fields).and_then(serde_json::from_value)
            });
        match context {
            Some(Ok(AuthContext::Authenticated {
                username,
                email,
                email_verified,
                name,
                role,
                session_id,
            })) => Ok(Self {
                username,
                email,
                email_verified,
                name,
                role,
                session_id,
            }),
            Some(Ok(AuthContext::Anonymous { reason })) => Err(reason.into_error()),
            Some(Err(err)) => {
                tracing::error!(error = %err, "the authorizer context is not one we wrote");
                Err(Rejection::InvalidToken.into_error())
            }
            None => {
                tracing::warn!("protected route called without an authorizer context");
                Err(Rejection::MissingToken.into_error())
            }
        }
    }

    /// `Ok` for administrators, 403 for everyone else.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Customer => Err(ApiError::new(
                ErrorCode::Forbidden,
                "this route is for administrators",
            )),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
    };
    use lambda_http::http::StatusCode;

    fn request_with(context: Option<serde_json::Value>) -> Request {
        let mut http_context = ApiGatewayV2httpRequestContext::default();
        if let Some(serde_json::Value::Object(fields)) = context {
            let mut authorizer = ApiGatewayRequestAuthorizer::default();
            authorizer.fields = fields.into_iter().collect();
            http_context.authorizer = Some(authorizer);
        }
        Request::default().with_request_context(RequestContext::ApiGatewayV2(http_context))
    }

    #[test]
    fn an_authenticated_context_becomes_a_caller() {
        let request = request_with(Some(serde_json::json!({
            "status": "authenticated", "username": "ada", "email": "ada@example.com",
            "name": "Ada Lovelace", "role": "admin", "session_id": "s1"
        })));
        let caller = Caller::from_request(&request).unwrap();
        assert_eq!(caller.username, "ada");
        assert!(caller.require_admin().is_ok());
        // An authorizer older than the field vouches for no address.
        assert!(!caller.email_verified);
    }

    #[test]
    fn customers_are_not_admins() {
        let caller = Caller {
            username: Username::parse("bob").unwrap(),
            email: "bob@example.com".into(),
            email_verified: false,
            name: "Bob Smith".into(),
            role: Role::Customer,
            session_id: "s".into(),
        };
        assert_eq!(
            caller.require_admin().unwrap_err().status(),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn anonymous_missing_and_forged_contexts_are_refused() {
        let expired = request_with(Some(
            serde_json::json!({"status": "anonymous", "reason": "expired_token"}),
        ));
        let err = Caller::from_request(&expired).unwrap_err();
        assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
        assert!(err.message().contains("expired"));

        let unavailable = request_with(Some(
            serde_json::json!({"status": "anonymous", "reason": "unavailable"}),
        ));
        assert_eq!(
            Caller::from_request(&unavailable).unwrap_err().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );

        for request in [
            request_with(None),
            request_with(Some(serde_json::json!({"status": "authenticated"}))),
            request_with(Some(serde_json::json!({
                "status": "authenticated", "username": "not a name", "email": "x@example.com",
                "name": "X", "role": "customer", "session_id": "s1"
            }))),
            Request::default(),
        ] {
            assert_eq!(
                Caller::from_request(&request).unwrap_err().status(),
                StatusCode::UNAUTHORIZED
            );
        }
    }
}
