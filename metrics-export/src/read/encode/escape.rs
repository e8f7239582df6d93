//! Escaping of HELP texts and label values for the text formats. The
//! common case, nothing to escape, is a scan and one copy.

/// Appends `s` with each byte for which `needs` holds replaced by
/// `escape(byte)`, copying the runs in between whole.
#[inline]
fn escaped(out: &mut Vec<u8>, s: &str, needs: fn(u8) -> bool, escape: fn(u8) -> &'static [u8]) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if needs(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(escape(b));
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

fn escape_byte(b: u8) -> &'static [u8] {
    match b {
        b'\\' => b"\\\\",
        b'"' => b"\\\"",
        _ => b"\\n",
    }
}

/// Appends a label value escaped for both text formats: `\` as `\\`, `"`
/// as `\"`, newline as `\n`.
#[inline]
pub(crate) fn label_value(out: &mut Vec<u8>, s: &str) {
    escaped(out, s, |b| matches!(b, b'\\' | b'"' | b'\n'), escape_byte)
}

/// Appends a HELP text escaped for Prometheus text 0.0.4: `\` and newline.
pub(crate) fn help_text(out: &mut Vec<u8>, s: &str) {
    escaped(out, s, |b| matches!(b, b'\\' | b'\n'), escape_byte)
}

/// Appends a HELP text escaped for OpenMetrics: `\`, `"` and newline.
pub(crate) fn help_openmetrics(out: &mut Vec<u8>, s: &str) {
    label_value(out, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: fn(&mut Vec<u8>, &str), s: &str) -> String {
        let mut out = Vec::new();
        f(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes() {
        assert_eq!(run(label_value, "plain ü"), "plain ü");
        assert_eq!(run(label_value, "a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(run(help_text, "a\"b\\c\nd"), "a\"b\\\\c\\nd");
        assert_eq!(run(help_openmetrics, "a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(run(label_value, "\n"), "\\n");
    }
}
