//! Editor accounts: roles, validation, and the admin-only `/v1/users` endpoints.

pub mod handlers;
pub mod model;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::UserId;

/// What a user may do: `admin` (everything, accounts), `editor` (publish, triage, edit
/// anything), `writer` (own drafts, uploads, captions).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(rename_all = "lowercase", try_from = "String")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Role {
    /// Everything, including accounts.
    Admin,
    /// Publishes, triages corrections, edits anything.
    Editor,
    /// Writes own drafts, uploads images, writes captions.
    Writer,
}

/// A role is named by its string alone: serde's enum form would also take `{"admin": null}`.
impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        Self::from_stored(&value)
            .ok_or_else(|| format!("unknown role `{value}`: expected admin, editor or writer"))
    }
}

crate::db::text::text_enum!(Role, "role");

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Editor => "editor",
            Self::Writer => "writer",
        }
    }

    /// The role named `value` (as stored and shown), if any.
    pub fn from_stored(value: &str) -> Option<Self> {
        [Self::Admin, Self::Editor, Self::Writer]
            .into_iter()
            .find(|r| r.as_str() == value)
    }

    fn rank(self) -> u8 {
        match self {
            Self::Admin => 3,
            Self::Editor => 2,
            Self::Writer => 1,
        }
    }

    /// Whether this role may do everything `other` may.
    pub fn includes(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

/// An account, as the API shows it (never its password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// The id (UUIDv7).
    #[schema(value_type = String, example = "01936d1e-6a4b-7c3d-8e9f-0a1b2c3d4e5f")]
    pub id: UserId,
    /// The email the account logs in with.
    #[schema(example = "olena@newsroom.example")]
    pub email: String,
    /// The name shown on bylines and in revisions.
    #[schema(example = "Olena Kovalenko")]
    pub display_name: String,
    /// The account's role.
    pub role: Role,
    /// A disabled account cannot log in, and its tokens stop working.
    pub disabled: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// When the account last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<model::UserRow> for User {
    fn from(row: model::UserRow) -> Self {
        Self {
            role: row.role,
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            disabled: row.disabled,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted (hashing cost grows with length).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The longest display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// Normalises an email for lookups and uniqueness: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks an email address's shape (a full RFC 5322 parser would accept things no mail server
/// delivers; this accepts what people type).
pub fn check_email(field: &str, email: &str, errors: &mut Vec<FieldError>) {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if !valid {
        errors.push(FieldError::new(
            field,
            "must be an email address such as name@newsroom.example",
        ));
    }
}

/// Checks a password's length.
pub fn check_password(field: &str, password: &str, errors: &mut Vec<FieldError>) {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    } else if chars > MAX_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
}

/// Checks a display name and returns it trimmed.
pub fn check_display_name(field: &str, name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if chars > MAX_DISPLAY_NAME_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_DISPLAY_NAME_CHARS} characters"),
        ));
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    name.to_owned()
}

/// A new account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The email the account logs in with; unique, ignoring case.
    #[schema(example = "olena@newsroom.example", format = Email, max_length = 254)]
    pub email: String,
    /// The name shown on bylines; defaults to the part of the email before `@`.
    #[schema(example = "Olena Kovalenko", min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// The account's role.
    pub role: Role,
    /// At least 12 characters.
    #[schema(example = "a long passphrase", min_length = 12, max_length = 1024)]
    pub password: String,
}

/// Creates an account: validates, hashes the password off the async workers, inserts.
pub async fn create(db: &Db, input: NewUser) -> ApiResult<model::UserRow> {
    let mut errors = Vec::new();
    check_email("email", &input.email, &mut errors);
    check_password("password", &input.password, &mut errors);
    let email = input.email.trim().to_owned();
    let display_name = match &input.display_name {
        Some(name) => check_display_name("display_name", name, &mut errors),
        None => email.split('@').next().unwrap_or_default().to_owned(),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let password = input.password;
    let password_hash = crate::work::heavy(move || password::hash(&password)).await??;
    let now = db::now();
    let row = model::UserRow {
        id: UserId::new_v7(),
        email_normalized: normalize_email(&email),
        email,
        display_name,
        role: input.role,
        password_hash,
        disabled: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    db.write(move |conn| {
        if model::find_by_email(conn, &row.email_normalized)?.is_some() {
            return Err(email_taken());
        }
        model::insert(conn, &row).map_err(|e| match ApiError::from(e) {
            ApiError::Conflict(_) => email_taken(),
            other => other,
        })?;
        model::find(conn, &row.id)?.ok_or_else(|| ApiError::internal("inserted user vanished"))
    })
    .await
}

fn email_taken() -> ApiError {
    ApiError::Conflict("an account with this email already exists".to_owned())
}

/// Creates the configured admin when no account exists yet (first start).
pub async fn bootstrap_admin(db: &Db, email: &str, password: &str) -> ApiResult<bool> {
    if db.read(|conn| Ok(model::any_exists(conn)?)).await? {
        return Ok(false);
    }
    let admin = NewUser {
        email: email.to_owned(),
        display_name: None,
        role: Role::Admin,
        password: password.to_owned(),
    };
    match create(db, admin).await {
        Ok(_) => Ok(true),
        // Another instance starting at the same time made it first.
        Err(ApiError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
