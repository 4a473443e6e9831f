//! The benchmarks' second yardstick: the hello-world plus what a function of the shop pays to
//! read DynamoDB, and nothing else. The AWS SDK is configured as every function configures it
//! (`shared::aws`), and each call is one `GetItem` of the item the event names: no
//! `lambda_http`, no logging or metrics, no decoding of what was read. What a function costs
//! beyond this one is the shop's own code; what this one costs beyond the hello-world is the
//! SDK's, which issue 20 keeps.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    // The products table, as `product-get` names it: the harness runs this beside it.
    let table = std::env::var("PRODUCTS_TABLE")?;
    let (client, table) = (&client, table.as_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let key = event.payload["pk"]
            .as_str()
            .ok_or("the event names no pk")?;
        let read = client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .send()
            .await?;
        // A miss is an error, so that the harness counts it rather than timing it.
        match read.item {
            Some(_) => Ok(Value::Bool(true)),
            None => Err(Error::from(format!("no item {key}"))),
        }
    }))
    .await
}
