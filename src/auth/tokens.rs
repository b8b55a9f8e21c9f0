//! Issuing and verifying JWTs. Tokens this node issues are HS256 with the shared secret; tokens
//! from an external issuer are RS256 with its configured public key. The algorithm is taken
//! from the key, never from the token: `alg: none`, HS/RS confusion and unknown algorithms
//! are refused.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use uuid::Uuid;

use super::claims::{Claims, Roles};
use super::Identity;
use crate::config::Config;

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// The node's keys and rules for tokens.
pub struct Tokens {
    encoding: EncodingKey,
    hs: (DecodingKey, Validation),
    rs: Option<(DecodingKey, Validation)>,
    issuer: String,
    audience: String,
    ttl_seconds: i64,
}

impl Tokens {
    /// Keys from the configuration (already validated). An empty secret gets a random one.
    pub fn from_config(config: &Config) -> Tokens {
        let jwt = &config.jwt;
        let secret = if jwt.secret.is_empty() {
            use rand::RngCore;
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            bytes.to_vec()
        } else {
            jwt.secret.as_bytes().to_vec()
        };
        let mut hs_validation = Validation::new(Algorithm::HS256);
        hs_validation.set_issuer(&[&jwt.issuer]);
        hs_validation.set_audience(&[&jwt.audience]);
        hs_validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        hs_validation.leeway = 5;
        let rs = config
            .rs256_public_key_pem()
            .ok()
            .filter(|_| !jwt.rs256_public_key.is_empty())
            .and_then(|pem| {
                let key = DecodingKey::from_rsa_pem(pem.as_bytes()).ok()?;
                let mut v = Validation::new(Algorithm::RS256);
                v.set_required_spec_claims(&["exp", "sub"]);
                if jwt.external_issuer.is_empty() {
                    v.iss = None;
                } else {
                    v.set_issuer(&[&jwt.external_issuer]);
                }
                if jwt.external_audience.is_empty() {
                    v.validate_aud = false;
                } else {
                    v.set_audience(&[&jwt.external_audience]);
                }
                v.leeway = 5;
                Some((key, v))
            });
        Tokens {
            encoding: EncodingKey::from_secret(&secret),
            hs: (DecodingKey::from_secret(&secret), hs_validation),
            rs,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            ttl_seconds: jwt.ttl_seconds as i64,
        }
    }

    /// A signed token for `user`, and its lifetime in seconds.
    pub fn issue(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        user_name: &str,
        roles: &[String],
    ) -> (String, i64) {
        let now = unix_now();
        let claims = Claims {
            sub: user_id.to_string(),
            name: Some(user_name.to_string()),
            tenantid: tenant_id.map(|t| t.to_string()),
            role: match roles.len() {
                0 => Roles::None,
                1 => Roles::One(roles[0].clone()),
                _ => Roles::Many(roles.to_vec()),
            },
            exp: now + self.ttl_seconds,
            iat: now,
            iss: Some(self.issuer.clone()),
            aud: Some(serde_json::Value::String(self.audience.clone())),
            jti: Some(Uuid::new_v4().simple().to_string()),
            ..Claims::default()
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default();
        (token, self.ttl_seconds)
    }

    /// The identity in `token` if its signature, algorithm, expiry, issuer and audience hold.
    /// Revocation is the caller's to check (it needs the store).
    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        let (key, validation) = match (header.alg, &self.rs) {
            (Algorithm::HS256, _) => (&self.hs.0, &self.hs.1),
            (Algorithm::RS256, Some((key, validation))) => (key, validation),
            (alg, _) => {
                return Err(TokenError::Invalid(format!(
                    "algorithm {alg:?} is not accepted"
                )))
            }
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, key, validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            })?;
        let claims = data.claims;
        let user_id = Uuid::parse_str(&claims.sub)
            .map_err(|_| TokenError::Invalid("`sub` is not a user id".into()))?;
        let tenant_id = match claims.tenantid.as_deref() {
            None | Some("") => None,
            Some(t) => Some(
                Uuid::parse_str(t)
                    .map_err(|_| TokenError::Invalid("`tenantid` is not a GUID".into()))?,
            ),
        };
        // The name is a label copied into every message the user sends (`SendUserName`, 64
        // characters): an external issuer's longer name is cut to fit, here, once.
        let user_name = claims
            .name
            .or(claims.preferred_username)
            .or(claims.unique_name)
            .unwrap_or_default()
            .chars()
            .take(MAX_NAME_CHARS)
            .collect();
        if claims.jti.as_ref().is_some_and(|j| j.len() > 64) {
            return Err(TokenError::Invalid("`jti` is longer than 64 bytes".into()));
        }
        let token_key = claims.jti.unwrap_or_else(|| {
            token
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .chars()
                .take(64)
                .collect()
        });
        Ok(Identity {
            user_id,
            tenant_id,
            user_name,
            roles: claims.role.to_vec(),
            token_key,
            expires_at: claims.exp,
        })
    }
}

/// The longest user name a token may carry into messages (the `SendUserName` column).
pub const MAX_NAME_CHARS: usize = 64;

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
