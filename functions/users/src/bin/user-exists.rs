//! `GET /api/user/{username}/exists`: see [`users::handlers::exists`].

use users::handlers::exists;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, tombstones) = users::init_pseudonyms().await?;
    shared::http::serve(|request| exists::handle(&store, &tombstones, request)).await
}
