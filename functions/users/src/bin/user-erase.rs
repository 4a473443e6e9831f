//! `UserErasureQueue`'s consumer: see [`users::handlers::erase`].

use users::handlers::erase;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let store = users::init().await?;
    shared::sqs::serve(|event| erase::handle(&store, event)).await
}
