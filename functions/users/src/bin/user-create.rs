//! `POST /api/user/create`: see [`users::handlers::create`].

use users::handlers::create;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, tombstones) = users::password::reserving(users::init_pseudonyms()).await?;
    shared::http::serve(|request| create::handle(&store, &tombstones, request)).await
}
