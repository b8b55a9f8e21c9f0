//! Tokens: every forged, stale or foreign one is refused; an external issuer's RS256 token is
//! accepted like our own.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{unique, Backend, TestApp, TestDb, TEST_SECRET};

const PRIVATE: &str = include_str!("fixtures/external_issuer_private.pem");
const PUBLIC: &str = include_str!("fixtures/external_issuer_public.pem");

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(user: &str, exp: i64, iss: &str, aud: &str) -> serde_json::Value {
    json!({"sub": user, "name": "someone", "exp": exp, "iat": now(), "iss": iss, "aud": aud, "jti": uuid::Uuid::new_v4().to_string()})
}

fn hs256(claims: &serde_json::Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn status_of(app: &TestApp, token: &str) -> u16 {
    app.call("GET", "/api/auth/me", Some(token), None).await.0
}

#[actix_rt::test]
async fn forged_and_stale_tokens_are_refused() {
    let db = TestDb::new(Backend::Sqlite, "forged_tokens").await.unwrap();
    let mut config = db.config();
    config.jwt.rs256_public_key = PUBLIC.into();
    let app = TestApp::start(config).await;
    let (user, good) = app.user(&unique("frank")).await;
    assert_eq!(status_of(&app, &good).await, 200);

    let secret = TEST_SECRET.as_bytes();
    let valid = hs256(
        &claims(&user, now() + 600, "imcluster", "imcluster"),
        secret,
    );
    assert_eq!(
        status_of(&app, &valid).await,
        200,
        "a well-made HS256 token is accepted"
    );

    let expired = hs256(
        &claims(&user, now() - 600, "imcluster", "imcluster"),
        secret,
    );
    let wrong_secret = hs256(
        &claims(&user, now() + 600, "imcluster", "imcluster"),
        b"another-secret-another-secret-0123456",
    );
    let wrong_issuer = hs256(&claims(&user, now() + 600, "evil", "imcluster"), secret);
    let wrong_audience = hs256(&claims(&user, now() + 600, "imcluster", "evil"), secret);
    let not_a_user = hs256(
        &json!({"sub": "admin", "exp": now() + 600, "iss": "imcluster", "aud": "imcluster"}),
        secret,
    );
    // HS/RS confusion: an HS256 token keyed with the RSA public key.
    let confused = hs256(
        &claims(&user, now() + 600, "imcluster", "imcluster"),
        PUBLIC.as_bytes(),
    );
    // alg: none, unsigned.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(claims(&user, now() + 600, "imcluster", "imcluster").to_string());
    let none = format!("{header}.{payload}.");
    // Tampered: a valid token with another user's id in its payload.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut body: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    body["sub"] = json!(uuid::Uuid::new_v4().to_string());
    parts[1] = URL_SAFE_NO_PAD.encode(body.to_string());
    let tampered = parts.join(".");

    for (what, token) in [
        ("expired", expired),
        ("wrong secret", wrong_secret),
        ("wrong issuer", wrong_issuer),
        ("wrong audience", wrong_audience),
        ("sub not a GUID", not_a_user),
        ("HS/RS confusion", confused),
        ("alg none", none),
        ("tampered", tampered),
        ("garbage", "not.a.token".to_string()),
    ] {
        let (status, err) = app.call("GET", "/api/auth/me", Some(&token), None).await;
        assert_eq!(status, 401, "{what} must be refused: {err}");
        assert_eq!(err["error"]["code"], "IM:Unauthorized", "{what}");
    }
    let (status, _) = app.call("GET", "/api/auth/me", None, None).await;
    assert_eq!(status, 401, "no token");
    app.stop().await;
}

#[actix_rt::test]
async fn an_external_issuers_rs256_token_is_accepted_and_revocable() {
    let db = TestDb::new(Backend::Sqlite, "external_issuer")
        .await
        .unwrap();
    let mut config = db.config();
    config.jwt.rs256_public_key = PUBLIC.into();
    config.jwt.external_issuer = "https://abp.example".into();
    let app = TestApp::start(config).await;
    let key = EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap();
    let user = uuid::Uuid::new_v4().to_string();
    let tenant = uuid::Uuid::new_v4().to_string();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": user, "unique_name": "abp-user", "tenantid": tenant, "role": ["admin", "user"], "exp": now() + 600, "iss": "https://abp.example"}),
        &key,
    )
    .unwrap();
    let (status, me) = app.call("GET", "/api/auth/me", Some(&token), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["userId"], user.as_str());
    assert_eq!(me["userName"], "abp-user");
    assert_eq!(me["tenantId"], tenant.as_str());
    assert_eq!(me["roles"], json!(["admin", "user"]));

    let other_issuer = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": user, "exp": now() + 600, "iss": "https://elsewhere"}),
        &key,
    )
    .unwrap();
    assert_eq!(status_of(&app, &other_issuer).await, 401);

    let (status, _) = app
        .call("POST", "/api/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        status_of(&app, &token).await,
        401,
        "revoked by logout even without a jti"
    );
    app.stop().await;
}
