//! `DELETE /api/user`: see [`users::handlers::delete`].

use users::handlers::delete;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, edge, tombstones) = users::password::reserving(users::init_delete()).await?;
    shared::http::serve(|request| delete::handle(&store, &edge, &tombstones, request)).await
}
