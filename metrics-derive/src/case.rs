//! Identifier case conversions for label names and values.

use crate::suggest::closest;

/// How `#[label(rename_all = "...")]` turns a variant name into its
/// exposed string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    /// `HttpGet` -> `http_get` (the default).
    Snake,
    /// `HttpGet` -> `httpget`.
    Lower,
    /// `HttpGet` -> `HTTP_GET`.
    ScreamingSnake,
    /// `HttpGet` -> `http-get`.
    Kebab,
}

/// The accepted spellings of `rename_all`, in the order of the docs.
pub const RENAME_RULES: &[&str] = &[
    "snake_case",
    "lowercase",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
];

impl RenameRule {
    /// Parses a `rename_all` value; the error says what is accepted.
    pub fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "snake_case" => Ok(RenameRule::Snake),
            "lowercase" => Ok(RenameRule::Lower),
            "SCREAMING_SNAKE_CASE" => Ok(RenameRule::ScreamingSnake),
            "kebab-case" => Ok(RenameRule::Kebab),
            _ => {
                let mut message = format!(
                    "unknown rename rule `{s}`; expected one of {}",
                    RENAME_RULES
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if let Some(hint) = closest(s, RENAME_RULES) {
                    message = format!("{message} (did you mean `{hint}`?)");
                }
                Err(message)
            }
        }
    }

    /// Applies the rule to a CamelCase identifier.
    pub fn apply(self, ident: &str) -> String {
        let snake = snake_case(ident);
        match self {
            RenameRule::Snake => snake,
            RenameRule::Lower => ident.to_ascii_lowercase(),
            RenameRule::ScreamingSnake => snake.to_ascii_uppercase(),
            RenameRule::Kebab => snake.replace('_', "-"),
        }
    }
}

/// `HttpMethod` -> `http_method`, `HTTPMethod` -> `http_method`,
/// `Status5xx` -> `status5xx`.
pub fn snake_case(ident: &str) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                // An acronym's end: `HTTPServer` -> `http_server`.
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                Some(_) => false,
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake() {
        assert_eq!(snake_case("HttpMethod"), "http_method");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("Status5xx"), "status5xx");
        assert_eq!(snake_case("Get"), "get");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn rules() {
        assert_eq!(RenameRule::Kebab.apply("NotFound"), "not-found");
        assert_eq!(RenameRule::ScreamingSnake.apply("NotFound"), "NOT_FOUND");
        assert_eq!(RenameRule::Lower.apply("NotFound"), "notfound");
        assert!(RenameRule::from_str("camelCase").is_err());
    }
}
