//! One id type per resource, so that a caption's id cannot be passed where an image's is
//! expected. Each wraps the stored text (a UUIDv7 today) unchanged: it is stored as `Text` on
//! both backends and serialised as a plain JSON string.
//!
//! Response types mark these fields `#[schema(value_type = String)]`, so the OpenAPI document
//! shows them as the strings they are. Path extractors stay `web::Path<String>` and convert:
//! utoipa would read any other path type as a set of parameters.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// Defines an id newtype over `String` (see the module's documentation).
macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = Text)]
        pub struct $name(String);

        impl $name {
            /// A new time-ordered id (UUIDv7).
            pub fn new_v7() -> Self {
                Self(crate::db::new_id())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's text, taken out.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                String::from_sql(bytes).map(Self)
            }
        }
    };
}

id!(
    /// An article's id.
    ArticleId
);
id!(
    /// An image's id.
    ImageId
);
id!(
    /// A caption's id.
    CaptionId
);
id!(
    /// A user's id.
    UserId
);
id!(
    /// A correction report's id.
    ReportId
);
id!(
    /// A login session's id: the family of refresh tokens rotated from one login, named by
    /// the access tokens it issues (their `sid`).
    SessionId
);
id!(
    /// One refresh token's row id.
    RefreshTokenId
);
id!(
    /// A preview link's id (not its token, which only its holder knows).
    PreviewId
);
id!(
    /// A webhook endpoint's id.
    WebhookId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_text_in_json() {
        let id = ImageId::from("0193a8e9-12ab-7cde-8f01-23456789abcd");
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, r#""0193a8e9-12ab-7cde-8f01-23456789abcd""#);
        let back: ImageId = serde_json::from_str(&json).unwrap_or_else(|_| ImageId::from(""));
        assert_eq!(back, id);
        assert_eq!(id.to_string(), id.as_str());
    }
}
