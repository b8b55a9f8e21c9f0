//! Who a caller is: token claims, issuing and verifying JWTs, hashing passwords.

mod claims;
mod password;
mod quotas;
mod throttle;
mod tokens;

pub use claims::{Claims, Identity};
pub use password::{dummy_hash, hash_password, verify_password};
pub use quotas::Quotas;
pub use throttle::LoginThrottle;
pub use tokens::{TokenError, Tokens};
