//! Login, refresh rotation and reuse detection, logout, token validation, disabled accounts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

async fn login_gives_tokens_and_me_answers(backend: Backend) {
    let app = spawn_app(&backend).await;
    let res = app
        .try_login("  CHIEF@Newsroom.Example ", ADMIN_PASSWORD)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let body = res.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["refresh_expires_in"], 30 * 86_400);
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["user"]["role"], "admin");
    assert!(body["user"].get("password_hash").is_none());

    let me = app.me(body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["id"], body["user"]["id"]);
    assert_eq!(me.json()["email"], ADMIN_EMAIL);
}

async fn wrong_email_and_wrong_password_get_the_same_answer(backend: Backend) {
    let app = spawn_app(&backend).await;
    let wrong_password = app.try_login(ADMIN_EMAIL, "not the passphrase").await;
    let unknown_email = app
        .try_login("nobody@newsroom.example", ADMIN_PASSWORD)
        .await;
    let a = assert_problem(&wrong_password, 401, "unauthorized");
    let b = assert_problem(&unknown_email, 401, "unauthorized");
    assert_eq!(a, b, "the two failures must be indistinguishable");
    assert_eq!(wrong_password.header("www-authenticate"), Some("Bearer"));
}

async fn refresh_rotates_and_a_reused_token_revokes_its_family(backend: Backend) {
    let app = spawn_app(&backend).await;
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other_session = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let res = app.refresh(&first.refresh).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let second = Tokens::from(&res.json());
    assert_ne!(second.refresh, first.refresh, "the refresh token rotates");
    assert_eq!(app.me(&second.access).await.status, 200);

    // The spent token comes back: someone has a copy. The whole family dies.
    let reuse = app.refresh(&first.refresh).await;
    assert_problem(&reuse, 401, "unauthorized");
    let after = app.refresh(&second.refresh).await;
    assert_problem(&after, 401, "unauthorized");

    // Another login's session is untouched.
    let other = app.refresh(&other_session.refresh).await;
    assert_eq!(other.status, 200, "{}", other.text);

    let garbage = app.refresh("not-a-token").await;
    assert_problem(&garbage, 401, "unauthorized");
}

async fn logout_revokes_the_session(backend: Backend) {
    let app = spawn_app(&backend).await;
    let tokens = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = app.logout(&tokens.refresh).await;
    assert_eq!(res.status, 204, "{}", res.text);
    let refresh = app.refresh(&tokens.refresh).await;
    assert_problem(&refresh, 401, "unauthorized");
    // Logging out with an unknown token reveals nothing.
    let unknown = app.logout("whatever").await;
    assert_eq!(unknown.status, 204);
}

/// Access tokens end with their session: logout ends one session, a password change every
/// session of the account, and a reused refresh token its own family; other sessions go on.
async fn access_tokens_die_with_their_session(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (id, desk) = app.user_with_role("editor").await;
    let me = |token: String| {
        let app = &app;
        async move { app.me(&token).await }
    };
    let email = me(desk.access.clone()).await.json()["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let laptop = app.login(&email, "a long enough passphrase").await;
    let phone = app.login(&email, "a long enough passphrase").await;

    // Logout: that session's access token is refused at once, the others still work.
    let res = app.logout(&laptop.refresh).await;
    assert_eq!(res.status, 204);
    let refused = me(laptop.access.clone()).await;
    let problem = assert_problem(&refused, 401, "unauthorized");
    assert!(
        problem["detail"].as_str().unwrap().contains("session"),
        "{problem}"
    );
    assert_eq!(me(phone.access.clone()).await.status, 200);
    assert_eq!(me(desk.access.clone()).await.status, 200);

    // A rotated refresh token keeps the session (and its new access token) alive.
    let rotated = app.refresh(&phone.refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let phone2 = Tokens::from(&rotated.json());
    assert_eq!(me(phone.access.clone()).await.status, 200);
    assert_eq!(me(phone2.access.clone()).await.status, 200);
    // Presenting the spent one again revokes the family: both access tokens die.
    let reused = app.refresh(&phone.refresh).await;
    assert_problem(&reused, 401, "unauthorized");
    assert_eq!(me(phone2.access.clone()).await.status, 401);
    assert_eq!(me(desk.access.clone()).await.status, 200);

    // A password change signs the account out everywhere, access tokens included.
    let admin = app.admin_token().await;
    let tag = app.etag(&format!("/v1/users/{id}"), Some(&admin)).await;
    let res = app
        .update_user(
            &admin,
            &id,
            &tag,
            &json!({"password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(me(desk.access.clone()).await.status, 401);
    let again = app.login(&email, "a brand new passphrase").await;
    assert_eq!(me(again.access).await.status, 200);
    // The admin's own session was not touched.
    assert_eq!(me(admin).await.status, 200);
}

/// The claims of `session`'s token (`(user id, session id)`), with `overrides`.
fn claims(session: &(String, String), overrides: &[(&str, Value)]) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": session.0,
        "sid": session.1,
        "role": "admin",
        "iat": now,
        "exp": now + 600,
        "jti": "test-jti",
    });
    for (k, v) in overrides {
        claims[*k] = v.clone();
    }
    claims
}

fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn forged_expired_and_foreign_tokens_get_401(backend: Backend) {
    let app = spawn_app(&backend).await;
    let token = app.admin_token().await;
    let me = app.me(&token).await;
    // The user and the session (refresh-token family) the server put in its own token.
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let admin_id = (
        me.json()["id"].as_str().unwrap().to_owned(),
        payload["sid"].as_str().unwrap().to_owned(),
    );

    // The control: a token we sign exactly as the server does is accepted.
    let good = sign(Algorithm::HS256, SECRET, &claims(&admin_id, &[]));
    assert_eq!(app.me(&good).await.status, 200);

    let now = chrono::Utc::now().timestamp();
    let header_none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&admin_id, &[]).to_string());
    let mut tampered_payload = claims(&admin_id, &[]);
    tampered_payload["role"] = json!("admin");
    tampered_payload["sub"] = json!("someone-else");
    let good_parts: Vec<&str> = good.split('.').collect();

    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(
                    &admin_id,
                    &[("iat", json!(now - 7200)), ("exp", json!(now - 3600))],
                ),
            ),
        ),
        (
            "not valid for an hour yet",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(&admin_id, &[("nbf", json!(now + 3600))]),
            ),
        ),
        ("alg none", format!("{header_none}.{payload}.")),
        (
            "wrong signature",
            sign(
                Algorithm::HS256,
                "another-secret-another-secret-another-secret",
                &claims(&admin_id, &[]),
            ),
        ),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, SECRET, &claims(&admin_id, &[])),
        ),
        (
            "wrong issuer",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(&admin_id, &[("iss", json!("evil"))]),
            ),
        ),
        (
            "wrong audience",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(&admin_id, &[("aud", json!("other-api"))]),
            ),
        ),
        ("no expiry", {
            let mut c = claims(&admin_id, &[]);
            c.as_object_mut().unwrap().remove("exp");
            sign(Algorithm::HS256, SECRET, &c)
        }),
        (
            "tampered payload",
            format!(
                "{}.{}.{}",
                good_parts[0],
                URL_SAFE_NO_PAD.encode(tampered_payload.to_string()),
                good_parts[2]
            ),
        ),
        ("garbage", "not.a.jwt".to_owned()),
        (
            "another session's id",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(&(admin_id.0.clone(), "no-such-session".to_owned()), &[]),
            ),
        ),
        (
            "no session",
            sign(Algorithm::HS256, SECRET, &{
                let mut c = claims(&admin_id, &[]);
                c.as_object_mut().unwrap().remove("sid");
                c
            }),
        ),
        (
            "unknown user",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(&("no-such-user".to_owned(), admin_id.1.clone()), &[]),
            ),
        ),
    ];
    for (name, token) in cases {
        let res = app.me(&token).await;
        assert_eq!(res.status, 401, "{name}: {}", res.text);
        assert_problem(&res, 401, "unauthorized");
    }

    let no_header = app.get("/v1/auth/me").send().await;
    assert_problem(&no_header, 401, "unauthorized");
    let basic = app
        .get("/v1/auth/me")
        .header("authorization", "Basic YTpi")
        .send()
        .await;
    assert_problem(&basic, 401, "unauthorized");
}

async fn a_disabled_account_is_locked_out_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (id, editor) = app.user_with_role("editor").await;
    assert_eq!(app.me(&editor.access).await.status, 200);

    let current = app.get_as(&admin, &format!("/v1/users/{id}")).await;
    let etag = current.header("etag").unwrap().to_owned();
    let res = app
        .update_user(&admin, &id, &etag, &json!({"disabled": true}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["disabled"], true);

    let me = app.me(&editor.access).await;
    assert_problem(&me, 401, "unauthorized");
    let refresh = app.refresh(&editor.refresh).await;
    assert_problem(&refresh, 401, "unauthorized");
    let email = current.json()["email"].as_str().unwrap().to_owned();
    let login = app.try_login(&email, "a long enough passphrase").await;
    assert_problem(&login, 403, "forbidden");
}

async fn a_writer_or_editor_calling_admin_endpoints_gets_403(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin_id = app.me(&app.admin_token().await).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for role in ["writer", "editor"] {
        let (_, tokens) = app.user_with_role(role).await;
        let list = app.get_as(&tokens.access, "/v1/users").await;
        let problem = assert_problem(&list, 403, "forbidden");
        assert!(
            problem["detail"].as_str().unwrap().contains("admin"),
            "{problem}"
        );
        let create = app
            .post_json(
                &tokens.access,
                "/v1/users",
                &json!({"email": "x@newsroom.example", "password": "a long enough passphrase", "role": "admin"}),
            )
            .await;
        assert_problem(&create, 403, "forbidden");
        let delete = app.delete_user(&tokens.access, &admin_id, "*").await;
        assert_problem(&delete, 403, "forbidden");
        // Their own account is theirs to read.
        let me = app.me(&tokens.access).await;
        assert_eq!(me.json()["role"], role);
    }
}

async fn tokens_survive_a_restart_with_a_generated_secret(backend: Backend) {
    // No MASTHEAD_JWT_SECRET: the server makes one and keeps it in the data directory.
    let db = TestDb::new(&backend);
    let map = settings(&db, &[("MASTHEAD_JWT_SECRET", "")]);
    let app = start(db, map.clone()).await;
    let tokens = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let db = app.stop().await;
    let secret_file = db.dir().join("jwt-secret");
    assert!(secret_file.exists(), "the generated secret is kept");

    let app = start(db, map).await;
    let me = app.me(&tokens.access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let refresh = app.refresh(&tokens.refresh).await;
    assert_eq!(refresh.status, 200, "{}", refresh.text);
}

backend_tests!(
    login_gives_tokens_and_me_answers,
    wrong_email_and_wrong_password_get_the_same_answer,
    refresh_rotates_and_a_reused_token_revokes_its_family,
    logout_revokes_the_session,
    access_tokens_die_with_their_session,
    forged_expired_and_foreign_tokens_get_401,
    a_disabled_account_is_locked_out_at_once,
    a_writer_or_editor_calling_admin_endpoints_gets_403,
    tokens_survive_a_restart_with_a_generated_secret,
);
