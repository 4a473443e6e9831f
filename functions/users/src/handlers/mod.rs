//! One module per Lambda function; each is named as its binary (`user-create` is [`create`]).
//!
//! | route                              | binary                   | module                |
//! |------------------------------------|--------------------------|-----------------------|
//! | `POST /api/user/create`            | `user-create`            | [`create`]            |
//! | `POST /api/user/login`             | `user-login`             | [`login`]             |
//! | `POST /api/user/logout`            | `user-logout`            | [`logout`]            |
//! | `POST /api/user/logout-everywhere` | `user-logout-everywhere` | [`logout_everywhere`] |
//! | `POST /api/user/password`          | `user-password-change`   | [`password_change`]   |
//! | `POST /api/user/email`             | `user-email-change`      | [`email_change`]      |
//! | `POST /api/user/email/confirm`     | `user-email-confirm`     | [`email_confirm`]     |
//! | `DELETE /api/user`                 | `user-delete`            | [`delete`]            |
//! | `POST /api/user/session/refresh`   | `user-session-refresh`   | [`session_refresh`]   |
//! | `POST /api/user/password-reset`    | `user-password-reset`    | [`password_reset`]    |
//! | `POST /api/user/password-reset/confirm` | `user-password-reset-confirm` | [`password_reset_confirm`] |
//! | `POST /api/user/verify`            | `user-verify`            | [`verify`]            |
//! | `POST /api/user/verify/resend`     | `user-verify-resend`     | [`verify_resend`]     |
//! | `GET /api/user/{username}/exists`  | `user-exists`            | [`exists`]            |
//! | `GET /api/user`                    | `user-current`           | [`current`]           |
//! | `GET /api/users`                   | `user-list`              | [`list`]              |
//! | (the HTTP API's authorizer)        | `user-authorizer`        | [`authorizer`]        |
//! | (the users table's stream)         | `user-relay`             | [`relay`]             |
//! | (`VerificationEmailQueue`)         | `user-verification-email` | [`verification_email`] |
//! | (`PasswordResetEmailQueue`)        | `user-password-reset-email` | [`password_reset_email`] |
//! | (`NoticeEmailQueue`)               | `user-notice-email`      | [`notice_email`]      |
//! | (`UserErasureQueue`)               | `user-erase`             | [`erase`]             |

pub mod authorizer;
pub mod create;
pub mod current;
pub mod delete;
pub mod email_change;
pub mod email_confirm;
pub mod erase;
pub mod exists;
pub mod list;
pub mod login;
pub mod logout;
pub mod logout_everywhere;
pub mod notice_email;
pub mod password_change;
pub mod password_reset;
pub mod password_reset_confirm;
pub mod password_reset_email;
pub mod relay;
pub mod session_refresh;
pub mod verification_email;
pub mod verify;
pub mod verify_resend;
