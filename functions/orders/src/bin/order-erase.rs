//! `OrderErasureQueue`'s consumer: see [`orders::handlers::erase`].

use orders::handlers::erase;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (_, store) = orders::init().await?;
    shared::sqs::serve(|event| erase::handle(&store, event)).await
}
