//! Pushgateway grouping-key paths: `/metrics/job/<job>{/<label>/<value>}`.
//!
//! A value that is empty, contains `/` or is a dot segment (`.`, `..`)
//! goes as `<label>@base64/<value>` in URL-safe base64 (an empty value as
//! `=`), as the Pushgateway requires (a dot segment sent plain is
//! normalised away by the gateway's router, which answers with a
//! redirect); any other value is percent-encoded as a path segment.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::error::PushConfigError;

/// Whether `name` is a valid Prometheus label name.
pub(crate) fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The grouping-key path of `job` and `labels`, starting with
/// `/metrics/job`.
pub(crate) fn grouping_path(
    job: &str,
    labels: &[(String, String)],
) -> Result<String, PushConfigError> {
    if job.is_empty() {
        return Err(PushConfigError::EmptyJob);
    }
    let mut path = String::from("/metrics");
    push_pair(&mut path, "job", job);
    for (name, value) in labels {
        if !valid_label_name(name) || name == "job" {
            return Err(PushConfigError::LabelName(name.clone()));
        }
        push_pair(&mut path, name, value);
    }
    Ok(path)
}

fn push_pair(path: &mut String, name: &str, value: &str) {
    path.push('/');
    path.push_str(name);
    if value.is_empty() {
        path.push_str("@base64/=");
    } else if value.contains('/') || value == "." || value == ".." {
        path.push_str("@base64/");
        path.push_str(&URL_SAFE_NO_PAD.encode(value));
    } else {
        path.push('/');
        percent_encode(path, value);
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_values() {
        assert_eq!(
            grouping_path("batch", &pairs(&[("instance", "host-1")])).unwrap(),
            "/metrics/job/batch/instance/host-1"
        );
    }

    #[test]
    fn slashes_and_empty_values_go_base64() {
        assert_eq!(
            grouping_path("a/b", &pairs(&[("path", "/var/tmp"), ("empty", "")])).unwrap(),
            "/metrics/job@base64/YS9i/path@base64/L3Zhci90bXA/empty@base64/="
        );
    }

    #[test]
    fn dot_segments_go_base64() {
        assert_eq!(
            grouping_path("..", &pairs(&[("dir", "."), ("up", ".."), ("x", "...")])).unwrap(),
            "/metrics/job@base64/Li4/dir@base64/Lg/up@base64/Li4/x/..."
        );
    }

    #[test]
    fn other_characters_are_percent_encoded() {
        assert_eq!(
            grouping_path("j", &pairs(&[("x", "a b?é")])).unwrap(),
            "/metrics/job/j/x/a%20b%3F%C3%A9"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(matches!(
            grouping_path("", &[]),
            Err(PushConfigError::EmptyJob)
        ));
        assert!(matches!(
            grouping_path("j", &pairs(&[("1x", "v")])),
            Err(PushConfigError::LabelName(_))
        ));
        assert!(matches!(
            grouping_path("j", &pairs(&[("job", "v")])),
            Err(PushConfigError::LabelName(_))
        ));
    }
}
