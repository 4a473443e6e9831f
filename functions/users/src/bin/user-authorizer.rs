//! The HTTP API's Lambda authorizer: see [`users::handlers::authorizer`].

use std::convert::Infallible;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::journey::{self, Journey};
use users::handlers::authorizer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (store, keys) = users::init_authorizer().await?;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async {
            // The request's journey: API Gateway gives the authorizer the id its function gets.
            let journey = Journey::of_request(event.payload.request_context.request_id.clone());
            let answer = authorizer::handle(&store, &keys, event.payload);
            let answer = shared::metrics::collecting(journey::within(journey, answer));
            Ok::<_, Infallible>(answer.await)
        },
    ))
    .await
}
