//! The live metrics page: one self-contained HTML document (inline CSS
//! and JS, no CDN, no build step; `page.html`) that polls the compact
//! JSON next to it ([`encode_page_json`](crate::encode_page_json)) every
//! second and draws rates, gauges and quantiles over the last minutes,
//! plus the small index served at `/`.

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use hyper::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY,
    X_CONTENT_TYPE_OPTIONS,
};
use hyper::http::{HeaderValue, Response};
use sha2::{Digest, Sha256};

use super::routes::{
    DEBUG_VARS_PATH, HEALTH_PATH, INDEX_PATH, METRICS_PATH, PAGE_JSON_PATH, PAGE_PATH,
};

/// The page itself, as served.
const PAGE_HTML: &str = include_str!("page.html");

/// Why a live page path was refused by
/// [`HandlerConfig::page_path`](crate::HandlerConfig::page_path).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PagePathError {
    /// The path must start with `/` and hold more than `/`.
    #[error("the live page path {0:?} must start with '/' and not be '/' alone")]
    NotAbsolute(String),
    /// Only path characters: ASCII letters, digits and
    /// `-._~!$&'()*+,;=:@/` (RFC 3986's `pchar` without percent escapes),
    /// no empty, `.` or `..` segment, no trailing `/`.
    #[error(
        "the live page path {0:?} may hold only ASCII letters, digits and -._~!$&'()*+,;=:@/, \
         without an empty, '.' or '..' segment or a trailing '/'"
    )]
    BadCharacter(String),
    /// The path (or its `.json`) is another endpoint's.
    #[error("the live page path {0:?} collides with another endpoint")]
    Taken(String),
}

/// Where the page and its JSON are served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PagePaths {
    pub(crate) html: String,
    pub(crate) json: String,
}

impl Default for PagePaths {
    fn default() -> Self {
        PagePaths {
            html: PAGE_PATH.to_owned(),
            json: PAGE_JSON_PATH.to_owned(),
        }
    }
}

impl PagePaths {
    /// Checks `path` and derives the JSON path from it.
    pub(crate) fn new(path: &str) -> Result<Self, PagePathError> {
        if !path.starts_with('/') || path == "/" {
            return Err(PagePathError::NotAbsolute(path.to_owned()));
        }
        // RFC 3986 `pchar` (less percent escapes) and `/`: nothing that
        // needs escaping in a URL, and nothing that ends an HTML
        // attribute or starts a tag (the index still escapes it).
        let path_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        let bad_segment = |s: &str| matches!(s, "" | "." | "..");
        if !path.bytes().all(path_char) || path[1..].split('/').any(bad_segment) {
            return Err(PagePathError::BadCharacter(path.to_owned()));
        }
        let json = format!("{path}.json");
        let taken = [METRICS_PATH, DEBUG_VARS_PATH, HEALTH_PATH, INDEX_PATH];
        if taken.contains(&path) || taken.contains(&json.as_str()) {
            return Err(PagePathError::Taken(path.to_owned()));
        }
        Ok(PagePaths {
            html: path.to_owned(),
            json,
        })
    }
}

/// What a document may do: its own inline script and style, identified
/// by their SHA-256 hashes (no `'unsafe-inline'`: a script or style
/// injected into the document does not run), fetch from its own origin,
/// nothing else.
fn csp(html: &str) -> HeaderValue {
    let hash = |open: &str, close: &str| {
        let start = html.find(open).map(|i| i + open.len());
        let inline = start.and_then(|s| Some(&html[s..s + html[s..].find(close)?]));
        inline.map(|text| {
            format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(text.as_bytes()))
            )
        })
    };
    let none = || "'none'".to_owned();
    let script = hash("<script>", "</script>").unwrap_or_else(none);
    let style = hash("<style>", "</style>").unwrap_or_else(none);
    let policy = format!(
        "default-src 'none'; script-src {script}; style-src {style}; connect-src 'self'; \
         img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
}

/// The page, gzipped (once per process) when the client accepts it.
pub(crate) fn page_response(gzip: bool) -> Response<Bytes> {
    static GZIPPED: OnceLock<Bytes> = OnceLock::new();
    let body = if gzip {
        GZIPPED
            .get_or_init(|| Bytes::from(super::gzip::compress(PAGE_HTML.as_bytes())))
            .clone()
    } else {
        Bytes::from_static(PAGE_HTML.as_bytes())
    };
    static POLICY: OnceLock<HeaderValue> = OnceLock::new();
    let mut response = html_response(body, POLICY.get_or_init(|| csp(PAGE_HTML)).clone());
    let h = response.headers_mut();
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// The index at `/`.
pub(crate) fn index_response(page: Option<&PagePaths>) -> Response<Bytes> {
    static POLICY: OnceLock<HeaderValue> = OnceLock::new();
    let policy = POLICY.get_or_init(|| csp(INDEX_HEAD)).clone();
    html_response(index_html(page), policy)
}

fn html_response(body: Bytes, policy: HeaderValue) -> Response<Bytes> {
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CONTENT_SECURITY_POLICY, policy);
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The start of the index, up to its list of links.
const INDEX_HEAD: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
     <meta name=\"viewport\" content=\"width=device-width\">\
     <title>tally metrics</title><style>body{font:15px/1.6 system-ui,sans-serif;\
     margin:2em auto;max-width:40em;padding:0 1em;color:#222}a{color:#1f6feb}\
     code{color:#666}</style></head><body><h1>tally metrics</h1><ul>";

/// The index at `/`: links to every endpoint the handler serves.
fn index_html(page: Option<&PagePaths>) -> Bytes {
    let mut html = String::from(INDEX_HEAD);
    // Relative links, so the index works behind a path prefix too; `./`
    // keeps a first segment with a `:` a path, not a scheme.
    let mut link = |path: &str, what: &str| {
        let rel = escape_html(path.trim_start_matches('/'));
        let path = escape_html(path);
        html.push_str(&format!(
            "<li><a href=\"./{rel}\">{what}</a> <code>{path}</code></li>"
        ));
    };
    if let Some(page) = page {
        link(
            &page.html,
            "Live page: rates, gauges and latencies in the browser",
        );
    }
    link(METRICS_PATH, "Prometheus / OpenMetrics exposition");
    link(DEBUG_VARS_PATH, "JSON, every family");
    link(HEALTH_PATH, "Health check");
    html.push_str("</ul></body></html>\n");
    Bytes::from(html)
}

/// `text` with `&`, `<`, `>`, `"` and `'` as character references, safe
/// in element content and quoted attributes.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_are_checked() {
        assert_eq!(PagePaths::new(PAGE_PATH).unwrap(), PagePaths::default());
        assert_eq!(PagePaths::new("/ops/live").unwrap().json, "/ops/live.json");
        assert!(matches!(
            PagePaths::new("live"),
            Err(PagePathError::NotAbsolute(_))
        ));
        assert!(matches!(
            PagePaths::new("/"),
            Err(PagePathError::NotAbsolute(_))
        ));
        for bad in [
            "/a b",
            "/a?b",
            "/a/",
            "/a%20",
            "/é",
            "/x\"><script>alert(1)</script><a",
            "/a<b",
            "/a\\b",
            "/a`b",
            "/a//b",
            "//evil.example",
            "/a/./b",
            "/a/../b",
            "/..",
        ] {
            assert!(
                matches!(PagePaths::new(bad), Err(PagePathError::BadCharacter(_))),
                "{bad}"
            );
        }
        for taken in [METRICS_PATH, DEBUG_VARS_PATH, HEALTH_PATH, "/debug/vars"] {
            assert!(
                matches!(PagePaths::new(taken), Err(PagePathError::Taken(_))),
                "{taken}"
            );
        }
    }

    #[test]
    fn the_index_escapes_what_it_prints() {
        let page = PagePaths::new("/ops/a&b'c:d").unwrap();
        let html = String::from_utf8(index_html(Some(&page)).to_vec()).unwrap();
        assert!(
            html.contains("<a href=\"./ops/a&amp;b&#39;c:d\">"),
            "{html}"
        );
        assert!(html.contains("<code>/ops/a&amp;b&#39;c:d</code>"), "{html}");
        // A first segment with a colon stays a relative path.
        let page = PagePaths::new("/javascript:alert(1)").unwrap();
        let html = String::from_utf8(index_html(Some(&page)).to_vec()).unwrap();
        assert!(html.contains("href=\"./javascript:alert(1)\""), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
    }

    #[test]
    fn the_policy_names_the_inline_script_and_style_by_hash() {
        let policy = csp(PAGE_HTML);
        let policy = policy.to_str().unwrap();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        // One script and one style element: a second would not be allowed.
        assert_eq!(PAGE_HTML.matches("<script").count(), 1);
        assert_eq!(PAGE_HTML.matches("<style").count(), 1);
        // Style attributes would need 'unsafe-inline' too.
        assert!(!PAGE_HTML.contains(" style="));
        // The index has a style and no script.
        let index = csp(INDEX_HEAD);
        let index = index.to_str().unwrap();
        assert!(index.contains("script-src 'none'") && index.contains("style-src 'sha256-"));
    }

    #[test]
    fn the_page_is_self_contained_and_small() {
        let html = PAGE_HTML;
        assert!(html.starts_with("<!doctype html>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script src") && !html.contains("<link"));
        assert!(html.len() < 64 * 1024, "{} bytes", html.len());
    }
}
