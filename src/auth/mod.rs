//! Who a caller is: token claims, issuing and verifying JWTs, refresh tokens, the login
//! policy, hashing passwords.

mod claims;
mod login_policy;
mod password;
mod quotas;
mod refresh_token;
mod throttle;
mod tokens;

pub use claims::{Claims, Identity};
pub use login_policy::{DeviceClass, LiveSession, MultiLogin, Platform};
pub use password::{dummy_hash, hash_password, verify_password};
pub use quotas::Quotas;
pub use refresh_token::{hex, same_hash, sha256_hex, RefreshToken};
pub use throttle::LoginThrottle;
pub use tokens::{unix_now, Grant, TokenError, Tokens};
