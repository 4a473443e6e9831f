//! `DELETE /api/user`: see [`users::handlers::delete`].

use users::handlers::delete;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    users::password::reserve();
    let (store, edge, tombstones) = users::init_delete().await?;
    shared::http::serve(|request| delete::handle(&store, &edge, &tombstones, request)).await
}
