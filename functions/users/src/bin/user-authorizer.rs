//! The HTTP API's Lambda authorizer: see [`users::handlers::authorizer`].

use std::convert::Infallible;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{LambdaEvent, service_fn};
use users::handlers::authorizer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (store, keys) = users::init_authorizer().await?;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async {
            let answer = authorizer::handle(&store, &keys, event.payload);
            Ok::<_, Infallible>(shared::metrics::collecting(answer).await)
        },
    ))
    .await
}
