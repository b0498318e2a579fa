//! URL slugs for articles: generated from titles, or checked when an editor supplies one.

use serde::Serialize;

use crate::error::FieldError;

/// Most characters in a slug.
pub const MAX_SLUG_CHARS: usize = 80;

/// Used when a title leaves nothing to make a slug from.
const FALLBACK: &str = "article";

/// Emoji and pictographic symbols. `deunicode` spells these out ("🎉" gives "tada"),
/// which makes poor slugs, so they are treated as separators instead.
const PICTOGRAPHS: [(u32, u32); 8] = [
    (0x200D, 0x200D),   // zero-width joiner inside emoji sequences
    (0x2190, 0x21FF),   // arrows
    (0x2300, 0x23FF),   // miscellaneous technical (⌚, ⏰)
    (0x25A0, 0x27BF),   // geometric shapes, miscellaneous symbols, dingbats
    (0x2900, 0x2BFF),   // supplemental arrows, symbols and arrows (⭐)
    (0xFE00, 0xFE0F),   // variation selectors
    (0x1F000, 0x1FAFF), // emoji blocks, regional indicator (flag) letters
    (0xE0000, 0xE007F), // tag characters (subdivision flags)
];

/// Makes a URL slug from a title: transliterated to ASCII ("Größe" gives "grosse",
/// "Зеленський" gives "zelenskii"), lower-cased, apostrophes dropped ("don't" gives
/// "dont"), every other run of non-alphanumerics turned into one `-`, trimmed of `-`,
/// and cut to at most [`MAX_SLUG_CHARS`] at a `-` (mid-word only for a single longer
/// word). Never empty ("article" when nothing is left) and never UUID-shaped (such a
/// result is prefixed with "article-"), so the result always passes [`Slug::parse`].
#[must_use]
pub fn slugify(title: &str) -> String {
    let without_pictographs: String = title
        .chars()
        .map(|c| if is_pictograph(c) { ' ' } else { c })
        .collect();
    let mut slug = String::with_capacity(title.len());
    for c in deunicode::deunicode(&without_pictographs).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if c != '\'' && !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.len() <= MAX_SLUG_CHARS {
        slug
    } else if slug.as_bytes()[MAX_SLUG_CHARS] == b'-' {
        &slug[..MAX_SLUG_CHARS]
    } else {
        match slug[..MAX_SLUG_CHARS].rfind('-') {
            Some(hyphen) => &slug[..hyphen],
            None => &slug[..MAX_SLUG_CHARS],
        }
    };
    if slug.is_empty() {
        FALLBACK.to_owned()
    } else if looks_like_uuid(slug) {
        format!("{FALLBACK}-{slug}")
    } else {
        slug.to_owned()
    }
}

/// An article's URL slug that passed the editor rules, or a free variant of one
/// ([`Slug::numbered`]); kept as given (and serialized as that string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Checks an editor-supplied slug: 1–80 characters of `[a-z0-9-]`, not starting or
    /// ending with `-`, no `--`, and not UUID-shaped (ids and slugs share one URL position).
    /// A broken rule is recorded for `field` in `errors`.
    pub fn parse(field: &str, slug: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        let message = if slug.is_empty() {
            "must not be empty".to_owned()
        } else if slug.len() > MAX_SLUG_CHARS {
            format!("must be at most {MAX_SLUG_CHARS} characters")
        } else if !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            "may only contain lower-case letters, digits and '-'".to_owned()
        } else if slug.starts_with('-') || slug.ends_with('-') {
            "must not start or end with '-'".to_owned()
        } else if slug.contains("--") {
            "must not contain '--'".to_owned()
        } else if looks_like_uuid(slug) {
            "must not look like a uuid".to_owned()
        } else {
            return Some(Self(slug.to_owned()));
        };
        errors.push(FieldError::new(field, message));
        None
    }

    /// The slug as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This slug with `-n` appended, for a derived slug whose plain form is taken. The suffix
    /// keeps every rule but the length: a numbered slug may pass 80 characters by its digits.
    #[must_use]
    pub fn numbered(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }
}

crate::validate::str_newtype!(Slug);

/// Whether `s` could be read as a UUID in a URL (`Uuid::try_parse` accepts it: the
/// hyphenated 8-4-4-4-12 form or the 32-digit simple form, hex digits in any case).
#[must_use]
pub fn looks_like_uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

fn is_pictograph(c: char) -> bool {
    let c = u32::from(c);
    PICTOGRAPHS.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(slug: &str) -> Vec<String> {
        let mut errors = Vec::new();
        Slug::parse("slug", slug, &mut errors);
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn ukrainian() {
        assert_eq!(slugify("Зеленський каже…"), "zelenskii-kazhe");
        assert_eq!(
            slugify("Їжак і ґанок: Київ, Львів"),
            "yizhak-i-ganok-kiyiv-lviv"
        );
        assert_eq!(slugify("Обʼєкт «Мʼята»"), "obiekt-miata");
    }

    #[test]
    fn german() {
        assert_eq!(slugify("Größe"), "grosse");
        assert_eq!(
            slugify("Über die Brücke: Straßenbahn fährt wieder"),
            "uber-die-brucke-strassenbahn-fahrt-wieder"
        );
    }

    #[test]
    fn french_and_apostrophes() {
        assert_eq!(
            slugify("Ça déjà été : fête naïve"),
            "ca-deja-ete-fete-naive"
        );
        assert_eq!(slugify("L’Élysée répond"), "lelysee-repond");
        assert_eq!(
            slugify("Don't panic, it's Trump's"),
            "dont-panic-its-trumps"
        );
    }

    #[test]
    fn emoji() {
        assert_eq!(slugify("🎉🦄"), "article");
        assert_eq!(slugify("👨‍👩‍👧 ❤️ ⭐"), "article");
        assert_eq!(slugify("🔥 Breaking 🔥 news"), "breaking-news");
        assert_eq!(slugify("🇺🇦 Україна"), "ukrayina");
    }

    #[test]
    fn punctuation_runs() {
        assert_eq!(slugify("Hello!!! --- World???"), "hello-world");
        assert_eq!(slugify("  ...leading & trailing...  "), "leading-trailing");
        assert_eq!(slugify("a/b\\c_d.e+f"), "a-b-c-d-e-f");
        assert_eq!(
            slugify("COVID-19: 2,000 new cases"),
            "covid-19-2-000-new-cases"
        );
        assert_eq!(slugify(""), "article");
        assert_eq!(slugify("!!! ??? ---"), "article");
    }

    #[test]
    fn long_titles() {
        let title = "Parliament debates the budget again ".repeat(9);
        assert!(title.chars().count() >= 300);
        let slug = slugify(&title);
        assert!(
            slug.len() <= MAX_SLUG_CHARS && slug.len() > MAX_SLUG_CHARS - 12,
            "{slug}"
        );
        let full = "parliament-debates-the-budget-again-".repeat(9);
        assert!(
            full.starts_with(&format!("{slug}-")),
            "cut mid-word: {slug}"
        );
        // A cut exactly at a word end keeps the full 80 characters.
        let exact = format!("{} {}", "a".repeat(MAX_SLUG_CHARS), "b".repeat(5));
        assert_eq!(slugify(&exact), "a".repeat(MAX_SLUG_CHARS));
        let words = format!("{} {}", "a".repeat(40), "b".repeat(39));
        assert_eq!(slugify(&format!("{words} cc")), words.replace(' ', "-"));
        // A single word longer than the limit is cut mid-word.
        assert_eq!(slugify(&"x".repeat(300)), "x".repeat(MAX_SLUG_CHARS));
        assert_eq!(slugify(&"ж".repeat(300)), "zh".repeat(MAX_SLUG_CHARS / 2));
    }

    #[test]
    fn never_uuid_shaped() {
        let uuid = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(slugify(uuid), format!("article-{uuid}"));
        assert_eq!(slugify(&uuid.to_uppercase()), format!("article-{uuid}"));
        let simple = "123e4567e89b12d3a456426614174000";
        assert_eq!(slugify(simple), format!("article-{simple}"));
        assert!(looks_like_uuid("123E4567-E89B-12D3-A456-426614174000"));
        assert!(!looks_like_uuid("123e4567-e89b-12d3-a456-42661417400g"));
        assert!(!looks_like_uuid("123e4567-e89b-12d3-a456-4266141740000"));
        assert!(!looks_like_uuid("123e4567e-89b-12d3-a456-426614174000"));
    }

    #[test]
    fn generated_slugs_pass_the_check() {
        let titles = [
            "Зеленський каже…",
            "Größe",
            "🎉",
            "",
            "a--b",
            "-x-",
            &"word ".repeat(100),
            "123e4567-e89b-12d3-a456-426614174000",
            "中文标题",
            "ǅungla ﬁnal",
            "\u{200b}\t\n",
        ];
        for title in titles {
            let slug = slugify(title);
            assert!(
                check(&slug).is_empty(),
                "{title:?} -> {slug:?}: {:?}",
                check(&slug)
            );
        }
    }

    #[test]
    fn a_parsed_slug_is_its_text_and_numbers_keep_it_a_slug() {
        let mut errors = Vec::new();
        let slug = Slug::parse("slug", "pier-reopens", &mut errors).unwrap();
        assert_eq!(
            (slug.as_str(), slug.as_ref()),
            ("pier-reopens", "pier-reopens")
        );
        assert_eq!(slug.to_string(), "pier-reopens");
        assert_eq!(serde_json::to_string(&slug).unwrap(), "\"pier-reopens\"");
        let numbered = slug.numbered(12);
        assert_eq!(numbered.as_str(), "pier-reopens-12");
        assert!(check(numbered.as_str()).is_empty());
        assert!(errors.is_empty());
    }

    #[test]
    fn slug_rules() {
        for ok in [
            "a",
            "zelenskii-kazhe",
            "covid-19",
            "2024",
            &"a".repeat(MAX_SLUG_CHARS),
        ] {
            assert!(check(ok).is_empty(), "{ok}");
        }
        let charset = "slug: may only contain lower-case letters, digits and '-'";
        let cases = [
            ("", "slug: must not be empty"),
            (
                &"a".repeat(MAX_SLUG_CHARS + 1),
                "slug: must be at most 80 characters",
            ),
            ("Upper", charset),
            ("with space", charset),
            ("under_score", charset),
            ("größe", charset),
            ("-start", "slug: must not start or end with '-'"),
            ("end-", "slug: must not start or end with '-'"),
            ("a--b", "slug: must not contain '--'"),
            (
                "123e4567-e89b-12d3-a456-426614174000",
                "slug: must not look like a uuid",
            ),
            (
                "123e4567e89b12d3a456426614174000",
                "slug: must not look like a uuid",
            ),
        ];
        for (slug, message) in cases {
            assert_eq!(check(slug), [message], "{slug:?}");
        }
        let mut errors = vec![FieldError::new("title", "must not be empty")];
        assert!(Slug::parse("data.slug", "Bad", &mut errors).is_none());
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[1].field, "data.slug");
    }
}
