//! TLS for `https://` receivers (feature `push-tls`): rustls with the
//! ring provider, verifying the receiver against the platform's roots
//! (`rustls-native-certs`) or the CA certificates given to
//! [`PusherBuilder::ca_certificate_pem`](super::PusherBuilder::ca_certificate_pem).
//! Without the feature an `https://` URL is refused when the target is
//! built.

use super::error::PushError;

/// A client TLS configuration, built once per pusher.
#[derive(Clone)]
pub(crate) struct TlsConfig {
    #[cfg(feature = "push-tls")]
    config: std::sync::Arc<rustls::ClientConfig>,
}

#[cfg(feature = "push-tls")]
impl TlsConfig {
    /// Trusts the certificates of `ca_pem` (PEM, one or more), or the
    /// platform's roots without it. An `Err` for PEM without a
    /// certificate, a certificate rustls cannot use, or a platform
    /// without roots.
    pub(crate) fn new(ca_pem: Option<&[u8]>) -> Result<Self, super::error::PushConfigError> {
        use super::error::PushConfigError;
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;

        let bad = |reason: String| PushConfigError::Tls(reason);
        let mut roots = rustls::RootCertStore::empty();
        match ca_pem {
            Some(pem) => {
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| bad(format!("reading the CA PEM: {e}")))?;
                    roots
                        .add(cert)
                        .map_err(|e| bad(format!("unusable CA certificate: {e}")))?;
                }
                if roots.is_empty() {
                    return Err(bad("the CA PEM holds no certificate".into()));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(bad(format!(
                        "no usable root certificate on this platform ({} errors); give the \
                         receiver's CA with PusherBuilder::ca_certificate_pem",
                        found.errors.len()
                    )));
                }
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig {
            config: std::sync::Arc::new(config),
        })
    }

    /// The TLS handshake with `host` over `stream`, verifying its
    /// certificate for that name (or IP address).
    pub(crate) async fn connect(
        &self,
        host: &str,
        stream: tokio::net::TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, PushError> {
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| PushError::Tls(format!("{host:?} is not a valid server name: {e}")))?;
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, stream)
            .await
            .map_err(|e| PushError::Tls(e.to_string()))
    }
}

#[cfg(not(feature = "push-tls"))]
impl TlsConfig {
    /// Never called: without the feature no endpoint is `https://`.
    pub(crate) async fn connect(
        &self,
        _host: &str,
        _stream: tokio::net::TcpStream,
    ) -> Result<tokio::net::TcpStream, PushError> {
        Err(PushError::Tls("built without the push-tls feature".into()))
    }
}
