//! The benchmarks' yardstick: the smallest useful Rust Lambda function (it echoes its event),
//! built and measured exactly like the shop's functions, so that their cold start and memory can
//! be reported as ratios that mean the same on any machine.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
