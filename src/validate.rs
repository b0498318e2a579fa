//! The checks every resource's free-text fields share.

use crate::error::FieldError;

/// Checks a text field: trimmed, an empty value counts as absent (an error when `required`), at
/// most `max` characters, and no control characters but line breaks and tabs. Returns the
/// trimmed value, or `None` when absent.
pub fn text(
    field: &str,
    value: Option<&str>,
    required: bool,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None if required => errors.push(FieldError::new(field, "must not be empty")),
        Some(v) if v.chars().count() > max => {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            errors.push(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        _ => {}
    }
    value.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        let mut errors = Vec::new();
        assert_eq!(
            text("a", Some("  hi \n"), true, 5, &mut errors).as_deref(),
            Some("hi")
        );
        assert_eq!(text("b", Some("   "), false, 5, &mut errors), None);
        assert!(errors.is_empty());
        text("c", None, true, 5, &mut errors);
        text("d", Some("toolong"), true, 5, &mut errors);
        text("e", Some("a\u{0}b"), true, 5, &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["c", "d", "e"]);
    }
}
