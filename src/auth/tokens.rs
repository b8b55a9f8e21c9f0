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
    /// The HMAC key refresh tokens are derived with (from the secret, so the same on every pod).
    refresh_key: [u8; 32],
}

/// Who an access token is for, and the session it belongs to.
pub struct Grant<'a> {
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub user_name: &'a str,
    pub roles: &'a [String],
    pub session_id: &'a str,
    /// When the token counts as issued (Unix seconds): the same on a retried refresh, so the
    /// same token comes out.
    pub issued_at: i64,
    pub jti: String,
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
        let refresh_key = {
            use sha2::Digest;
            let mut hash = sha2::Sha256::new();
            hash.update(b"imcluster refresh tokens\0");
            hash.update(&secret);
            hash.finalize().into()
        };
        Tokens {
            refresh_key,
            encoding: EncodingKey::from_secret(&secret),
            hs: (DecodingKey::from_secret(&secret), hs_validation),
            rs,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            ttl_seconds: jwt.ttl_seconds as i64,
        }
    }

    /// A signed token for `user` outside any session (the `token` command, tools), and its
    /// lifetime in seconds.
    pub fn issue(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        user_name: &str,
        roles: &[String],
    ) -> (String, i64) {
        let claims = self.claims(user_id, tenant_id, user_name, roles, unix_now());
        (self.sign(&claims), self.ttl_seconds)
    }

    /// A signed token of a session, and the Unix time it expires. The same grant signs the
    /// same token.
    pub fn issue_in_session(&self, grant: Grant<'_>) -> (String, i64) {
        let mut claims = self.claims(
            grant.user_id,
            grant.tenant_id,
            grant.user_name,
            grant.roles,
            grant.issued_at,
        );
        claims.jti = Some(grant.jti);
        claims.sid = Some(grant.session_id.to_string());
        let exp = claims.exp;
        (self.sign(&claims), exp)
    }

    /// The key refresh tokens are derived with.
    pub fn refresh_key(&self) -> &[u8] {
        &self.refresh_key
    }

    /// How long issued access tokens live, seconds.
    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    fn claims(
        &self,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        user_name: &str,
        roles: &[String],
        now: i64,
    ) -> Claims {
        Claims {
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
        }
    }

    fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .unwrap_or_default()
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
        if claims.sid.as_ref().is_some_and(|s| s.len() > 32) {
            return Err(TokenError::Invalid("`sid` is longer than 32 bytes".into()));
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
            // Only this node issues sessions: an external issuer's `sid` means nothing here.
            session_id: claims.sid.filter(|_| header.alg == Algorithm::HS256),
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
