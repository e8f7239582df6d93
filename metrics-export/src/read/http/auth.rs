//! Optional scrape authentication: a bearer token and/or basic
//! credentials, compared in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use subtle::ConstantTimeEq;

/// The credentials a scraper must present in its `Authorization` header.
///
/// A request is accepted when it carries any configured credential:
/// `Authorization: Bearer <token>` or `Authorization: Basic
/// base64(user:password)`. Comparisons run in constant time in the
/// content of the secret (only its length may leak, as with any
/// comparison of unequal-length strings).
///
/// ```
/// use tally_export::Auth;
/// let auth = Auth::bearer("s3cret").with_basic("prometheus", "hunter2");
/// assert!(auth.accepts(Some("Bearer s3cret")));
/// assert!(auth.accepts(Some("Basic cHJvbWV0aGV1czpodW50ZXIy")));
/// assert!(!auth.accepts(Some("Bearer wrong")));
/// assert!(!auth.accepts(None));
/// ```
#[derive(Clone)]
pub struct Auth {
    bearer: Option<Vec<u8>>,
    basic: Option<Vec<u8>>,
}

impl Auth {
    /// Accept `Authorization: Bearer <token>`.
    pub fn bearer(token: impl AsRef<[u8]>) -> Self {
        Auth {
            bearer: Some(token.as_ref().to_vec()),
            basic: None,
        }
    }

    /// Accept `Authorization: Basic base64(user:password)`.
    pub fn basic(user: &str, password: &str) -> Self {
        Auth {
            bearer: None,
            basic: Some(format!("{user}:{password}").into_bytes()),
        }
    }

    /// The same, also accepting this bearer token.
    pub fn with_bearer(mut self, token: impl AsRef<[u8]>) -> Self {
        self.bearer = Some(token.as_ref().to_vec());
        self
    }

    /// The same, also accepting these basic credentials.
    pub fn with_basic(mut self, user: &str, password: &str) -> Self {
        self.basic = Some(format!("{user}:{password}").into_bytes());
        self
    }

    /// Whether an `Authorization` header value (if any) carries a
    /// configured credential.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some((scheme, credentials)) = authorization.and_then(|v| v.trim().split_once(' '))
        else {
            return false;
        };
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            self.bearer
                .as_deref()
                .is_some_and(|token| bool::from(token.ct_eq(credentials.as_bytes())))
        } else if scheme.eq_ignore_ascii_case("basic") {
            let Some(expected) = self.basic.as_deref() else {
                return false;
            };
            STANDARD
                .decode(credentials)
                .is_ok_and(|given| bool::from(expected.ct_eq(&given)))
        } else {
            false
        }
    }

    /// The `WWW-Authenticate` challenges to send with a 401.
    pub fn challenges(&self) -> impl Iterator<Item = &'static str> + '_ {
        let bearer = self.bearer.as_ref().map(|_| r#"Bearer realm="tally""#);
        let basic = self
            .basic
            .as_ref()
            .map(|_| r#"Basic realm="tally", charset="UTF-8""#);
        bearer.into_iter().chain(basic)
    }
}

impl std::fmt::Debug for Auth {
    /// Never prints the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("basic", &self.basic.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}
