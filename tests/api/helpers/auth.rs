//! Test users without argon2 on every one: rows stored with a password hash computed once per
//! test process, and access tokens signed with the test secret for a session row of their own,
//! as a login would make them. Only the tests of logging in pay for logging in.

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DurationRound, NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use masthead::db::DbConn;
use masthead::db::schema::{refresh_tokens, users};
use serde_json::json;

use super::{ADMIN_EMAIL, ADMIN_PASSWORD, Tokens};

/// The password of every user a test makes with `user_with_role`.
pub const USER_PASSWORD: &str = "a long enough passphrase";

/// How a test server signs its tokens, when the settings say it plainly (no generated secret,
/// default lifetimes), so that the harness can sign them too.
#[derive(Debug, Clone)]
pub struct Signer {
    db_url: String,
    secret: String,
    issuer: String,
    audience: String,
}

impl Signer {
    pub fn from_settings(map: &HashMap<String, String>) -> Option<Self> {
        let get = |k: &str| map.get(k).filter(|v| !v.is_empty()).cloned();
        if get("MASTHEAD_ACCESS_TOKEN_TTL").is_some() || get("MASTHEAD_REFRESH_TOKEN_TTL").is_some()
        {
            return None;
        }
        Some(Self {
            db_url: get("DATABASE_URL")?,
            secret: get("MASTHEAD_JWT_SECRET")?,
            issuer: get("MASTHEAD_JWT_ISSUER")?,
            audience: get("MASTHEAD_JWT_AUDIENCE")?,
        })
    }

    /// A connection to the server's database.
    pub fn connect(&self) -> DbConn {
        connect(&self.db_url)
    }

    /// Opens a session for `user_id` as a login does: a refresh token stored by its hash (the
    /// session is its family), and an access token naming that session.
    pub fn tokens(&self, conn: &mut DbConn, user_id: &str, role: &str) -> Tokens {
        let family = uuid::Uuid::now_v7().to_string();
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("randomness");
        let refresh = URL_SAFE_NO_PAD.encode(bytes);
        let created = now();
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::id.eq(uuid::Uuid::now_v7().to_string()),
                refresh_tokens::family_id.eq(&family),
                refresh_tokens::user_id.eq(user_id),
                refresh_tokens::token_hash
                    .eq(blake3::hash(refresh.as_bytes()).to_hex().to_string()),
                refresh_tokens::created_at.eq(created),
                refresh_tokens::expires_at.eq(created + TimeDelta::days(30)),
            ))
            .execute(conn)
            .expect("store a session");
        let iat = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "role": role,
            "iat": iat,
            "exp": iat + 15 * 60,
            "jti": uuid::Uuid::now_v7().to_string(),
            "sid": family,
        });
        let access = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .expect("sign a token");
        Tokens { access, refresh }
    }
}

/// The PHC hash of `password`: computed once per process for the harness's two passwords.
pub fn password_hash(password: &str) -> String {
    static ADMIN: OnceLock<String> = OnceLock::new();
    static USER: OnceLock<String> = OnceLock::new();
    let hash = |p: &str| masthead::auth::password::hash(p).expect("argon2 hash");
    match password {
        ADMIN_PASSWORD => ADMIN.get_or_init(|| hash(ADMIN_PASSWORD)).clone(),
        USER_PASSWORD => USER.get_or_init(|| hash(USER_PASSWORD)).clone(),
        other => hash(other),
    }
}

/// A connection to a test database by its URL.
pub fn connect(url: &str) -> DbConn {
    match url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut conn =
                SqliteConnection::establish(path).expect("open the SQLite test database");
            // The server writes to the same file: wait for its lock instead of failing.
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON")
                .expect("SQLite pragmas");
            DbConn::Sqlite(conn)
        }
        None => DbConn::Pg(PgConnection::establish(url).expect("connect to the test database")),
    }
}

/// The current time as the server stores it (UTC, to the microsecond).
fn now() -> NaiveDateTime {
    chrono::Utc::now()
        .naive_utc()
        .duration_trunc(TimeDelta::microseconds(1))
        .expect("truncate to microseconds")
}

/// Stores an account as `POST /v1/users` would (no display name: the email's local part).
pub fn insert_user(conn: &mut DbConn, email: &str, role: &str, password: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let created = now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(email),
            users::email_normalized.eq(email.trim().to_lowercase()),
            users::display_name.eq(email.split('@').next().unwrap_or_default()),
            users::role.eq(role),
            users::password_hash.eq(password_hash(password)),
            users::disabled.eq(false),
            users::version.eq(1_i64),
            users::created_at.eq(created),
            users::updated_at.eq(created),
        ))
        .execute(conn)
        .expect("store a user");
    id
}

/// The id and role of the account with this email.
pub fn find_user(conn: &mut DbConn, email: &str) -> (String, String) {
    users::table
        .filter(users::email_normalized.eq(email.trim().to_lowercase()))
        .select((users::id, users::role))
        .first(conn)
        .expect("the account exists")
}

/// Makes the bootstrap admin the server would make at start, with the precomputed hash (the
/// server then finds an account and hashes nothing).
pub fn seed_admin(map: &HashMap<String, String>) {
    let (Some(url), Some(email), Some(password)) = (
        map.get("DATABASE_URL"),
        map.get("MASTHEAD_ADMIN_EMAIL"),
        map.get("MASTHEAD_ADMIN_PASSWORD"),
    ) else {
        return;
    };
    if email != ADMIN_EMAIL || password != ADMIN_PASSWORD {
        return;
    }
    let mut conn = connect(url);
    insert_user(&mut conn, email, "admin", password);
}
