//! The products table's stream, filtered to products: see [`products::handlers::invalidate`].

use products::edge::Edge;
use products::handlers::invalidate;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let edge = Edge::from_env(&shared::aws::sdk_config().await)?;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<_>| {
            // Boxed: the handler's future, nested in the runtime's, is too deep a type otherwise.
            let answer = Box::pin(shared::metrics::collecting(invalidate::handle(
                &edge,
                event.payload,
            )));
            async move { Ok::<_, lambda_runtime::Error>(answer.await) }
        },
    ))
    .await
}
