//! `Accept-Encoding` negotiation and compression of response bodies:
//! gzip always, zstd with the `zstd` feature (offered beside gzip, as
//! client_golang does; Prometheus 3 accepts it).

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// Whether an `Accept-Encoding` header value allows gzip: `gzip` (or
/// `x-gzip`) with a non-zero quality, or `*` with a non-zero quality when
/// gzip is not refused explicitly.
pub(crate) fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(header) = accept_encoding else {
        return false;
    };
    let mut gzip = None;
    let mut wildcard = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(q > 0.0);
        } else if coding == "*" {
            wildcard = Some(q > 0.0);
        }
    }
    gzip.or(wildcard).unwrap_or(false)
}

/// A response body's content coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Identity,
    Gzip,
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Coding {
    /// The coding for an `Accept-Encoding` value: zstd (feature `zstd`)
    /// when the client accepts it with a quality at least gzip's, else
    /// gzip when accepted, else none.
    pub(crate) fn negotiate(accept_encoding: Option<&str>) -> Coding {
        #[cfg(feature = "zstd")]
        if let Some(zstd) = quality(accept_encoding, &["zstd"]).filter(|&q| q > 0.0) {
            let gzip = quality(accept_encoding, &["gzip", "x-gzip"]).unwrap_or(0.0);
            if zstd >= gzip {
                return Coding::Zstd;
            }
        }
        if accepts_gzip(accept_encoding) {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    /// The `Content-Encoding` value, if any.
    pub(crate) fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            #[cfg(feature = "zstd")]
            Coding::Zstd => Some("zstd"),
        }
    }

    /// `body` in this coding.
    pub(crate) fn encode(self, body: Vec<u8>) -> Vec<u8> {
        match self {
            Coding::Identity => body,
            Coding::Gzip => compress(&body),
            // Level 1: as fast as gzip's fast level, smaller bodies.
            #[cfg(feature = "zstd")]
            Coding::Zstd => zstd::bulk::compress(&body, 1).unwrap_or_else(|_| Vec::new()),
        }
    }
}

/// The quality given to one of `codings` by name (not by `*`), if named.
#[cfg(feature = "zstd")]
fn quality(accept_encoding: Option<&str>, codings: &[&str]) -> Option<f32> {
    accept_encoding?.split(',').find_map(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        codings
            .iter()
            .any(|c| coding.eq_ignore_ascii_case(c))
            .then(|| {
                parts
                    .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0)
            })
    })
}

/// `body` compressed with gzip (fast level: scrapes are frequent and
/// exposition text compresses well even so).
pub(crate) fn compress(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{accepts_gzip, Coding};

    #[test]
    fn negotiates_the_coding() {
        assert_eq!(Coding::negotiate(None), Coding::Identity);
        assert_eq!(Coding::negotiate(Some("gzip")), Coding::Gzip);
        assert_eq!(Coding::negotiate(Some("br")), Coding::Identity);
        #[cfg(feature = "zstd")]
        {
            assert_eq!(Coding::negotiate(Some("zstd")), Coding::Zstd);
            assert_eq!(Coding::negotiate(Some("gzip, zstd")), Coding::Zstd);
            assert_eq!(Coding::negotiate(Some("zstd;q=0.5, gzip")), Coding::Gzip);
            assert_eq!(Coding::negotiate(Some("zstd;q=0, gzip")), Coding::Gzip);
            assert_eq!(Coding::negotiate(Some("ZSTD;q=0.1")), Coding::Zstd);
            // `*` alone stays gzip: the coding every client decodes.
            assert_eq!(Coding::negotiate(Some("*")), Coding::Gzip);
        }
        #[cfg(not(feature = "zstd"))]
        assert_eq!(Coding::negotiate(Some("zstd, gzip")), Coding::Gzip);
    }

    #[test]
    fn negotiates_gzip() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, gzip;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(accepts_gzip(Some("GZIP")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("*, gzip;q=0")));
        assert!(!accepts_gzip(Some("br, *;q=0")));
    }
}
