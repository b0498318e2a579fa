//! Access tokens: short-lived HS256 JWTs, validated with the algorithm, issuer, audience and
//! expiry pinned.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::error::ApiError;
use crate::users::Role;

/// Clock skew tolerated between the issuer and this server.
pub const LEEWAY_SECONDS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// The user's role when the token was issued (the server re-reads it on every request).
    pub role: Role,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// A unique id for this token.
    pub jti: String,
    /// The session (the login's refresh-token family) the token belongs to: when it ends
    /// (logout, a password change, a reused refresh token), the token stops working at once.
    pub sid: String,
}

/// Signs and verifies access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl JwtKeys {
    /// Keys for HS256 with `secret`.
    pub fn new(secret: &Secret, issuer: &str, audience: &str, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        // A token that says it is not valid yet is refused until then (within the leeway).
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        }
    }

    /// How long an access token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues an access token for `user_id` in session `session_id`.
    pub fn issue(&self, user_id: &str, role: Role, session_id: &str) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            role,
            iat: now,
            exp: now.saturating_add(ttl),
            jti: uuid::Uuid::now_v7().to_string(),
            sid: session_id.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Verifies a token's signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, issuer: &str, audience: &str) -> JwtKeys {
        JwtKeys::new(
            &Secret::new(secret),
            issuer,
            audience,
            Duration::from_secs(900),
        )
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-unit-test";

    #[test]
    fn a_token_round_trips() {
        let keys = keys(SECRET, "masthead", "masthead-api");
        let token = keys.issue("user-1", Role::Editor, "s1").expect("encodes");
        let claims = keys.verify(&token).expect("decodes");
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.role, Role::Editor);
        assert_eq!(claims.iss, "masthead");
        assert_eq!(claims.aud, "masthead-api");
        assert_eq!(claims.exp - claims.iat, 900);
        assert!(!claims.jti.is_empty());
    }

    #[test]
    fn wrong_secret_issuer_or_audience_is_rejected() {
        let token = keys(SECRET, "masthead", "masthead-api")
            .issue("u", Role::Writer, "s1")
            .expect("encodes");
        assert!(
            keys(
                "another-secret-another-secret-another",
                "masthead",
                "masthead-api"
            )
            .verify(&token)
            .is_err()
        );
        assert!(
            keys(SECRET, "someone-else", "masthead-api")
                .verify(&token)
                .is_err()
        );
        assert!(
            keys(SECRET, "masthead", "another-api")
                .verify(&token)
                .is_err()
        );
    }

    #[test]
    fn other_algorithms_are_rejected() {
        let keys = keys(SECRET, "masthead", "masthead-api");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "masthead".into(),
            aud: "masthead-api".into(),
            sub: "u".into(),
            role: Role::Admin,
            iat: now,
            exp: now + 60,
            jti: "j".into(),
            sid: "s".into(),
        };
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encodes");
        assert!(keys.verify(&hs512).is_err());
    }
}
