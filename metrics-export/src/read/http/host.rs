//! The `Host` header check against DNS rebinding.
//!
//! A web page a developer visits can make its own host name resolve to
//! 127.0.0.1 and then read a loopback server as same-origin; the one
//! trace of the trick is the `Host` header, which names the attacker's
//! domain. So a server bound to loopback answers only requests whose
//! `Host` is a loopback name (`localhost`, `*.localhost`), an IP literal
//! (a rebinding page can never have one as its origin) or a name on the
//! configured allow-list; others get `403 Forbidden`. A request without
//! `Host` (HTTP/1.0 tools) is answered: browsers always send one.

use hyper::http::header::HOST;
use hyper::http::HeaderMap;

/// Why an allowed host name was refused by
/// [`HandlerConfig::allowed_hosts`](crate::HandlerConfig::allowed_hosts).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllowedHostError {
    /// Not a host name: DNS labels of ASCII letters, digits and `-`
    /// separated by `.`, optionally after a leading `*.` (any
    /// subdomain), with no port, path or scheme.
    #[error(
        "invalid allowed host {0:?}: expected a host name such as \"metrics.internal\" or \
         \"*.example.com\" (letters, digits, '-' and '.', no port, path or scheme)"
    )]
    Invalid(String),
}

/// Which `Host` names a handler answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum HostPolicy {
    /// Loopback names and IP literals when the server is bound to
    /// loopback; any host otherwise.
    #[default]
    Auto,
    /// Loopback names, IP literals and these names (lowercase; a leading
    /// `*.` matches any subdomain), wherever the server is bound.
    List(Vec<String>),
    /// Any host (the check is left to a proxy in front).
    Any,
}

impl HostPolicy {
    /// A checked allow-list.
    pub(crate) fn list<I, S>(hosts: I) -> Result<Self, AllowedHostError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for host in hosts {
            let host = host.as_ref();
            let name = host.strip_prefix("*.").unwrap_or(host);
            if !valid_dns_name(name) {
                return Err(AllowedHostError::Invalid(host.to_owned()));
            }
            list.push(host.to_ascii_lowercase());
        }
        Ok(HostPolicy::List(list))
    }

    /// Whether a request with `headers` is answered by a server bound to
    /// loopback (`loopback`) or not.
    pub(crate) fn allows(&self, headers: &HeaderMap, loopback: bool) -> bool {
        let list: &[String] = match self {
            HostPolicy::Any => return true,
            HostPolicy::Auto if !loopback => return true,
            HostPolicy::Auto => &[],
            HostPolicy::List(list) => list,
        };
        let mut hosts = headers.get_all(HOST).iter();
        let (Some(host), None) = (hosts.next(), hosts.next()) else {
            // No Host: not a browser. Two: malformed (hyper answers 400
            // before this for HTTP/1.1); refused.
            return headers.get(HOST).is_none();
        };
        let Ok(host) = host.to_str() else {
            return false;
        };
        let Some(name) = host_name(host) else {
            return false;
        };
        if name.starts_with('[') || name.parse::<std::net::Ipv4Addr>().is_ok() {
            return true; // an IP literal ([v6] checked by host_name)
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        name == "localhost"
            || name.ends_with(".localhost")
            || list.iter().any(|allowed| match allowed.strip_prefix("*.") {
                Some(parent) => name
                    .strip_suffix(parent)
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                None => *allowed == name,
            })
    }
}

/// The host part of a `Host` header value (`name`, `name:port`,
/// `[v6]:port`), if well formed.
fn host_name(host: &str) -> Option<&str> {
    if let Some(rest) = host.strip_prefix('[') {
        let end = rest.find(']')?;
        rest[..end].parse::<std::net::Ipv6Addr>().ok()?;
        let port = &rest[end + 1..];
        return (port.is_empty() || valid_port(port.strip_prefix(':')?))
            .then_some(&host[..end + 2]);
    }
    let (name, port) = host.split_once(':').unwrap_or((host, ""));
    let port_ok = port.is_empty() && !host.ends_with(':') || valid_port(port);
    (port_ok && !name.is_empty()).then_some(name)
}

fn valid_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

/// DNS labels of letters, digits and `-` (not at either end), 1 to 63
/// bytes each, separated by `.`; 253 bytes at most.
fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::http::HeaderValue;

    fn with_host(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_str(host).unwrap());
        h
    }

    #[test]
    fn loopback_bound_answers_loopback_names_and_ip_literals_only() {
        let auto = HostPolicy::Auto;
        for ok in [
            "localhost",
            "localhost:9464",
            "LocalHost:1",
            "app.localhost:80",
            "localhost.",
            "127.0.0.1:9464",
            "10.1.2.3",
            "[::1]:9464",
            "[::1]",
        ] {
            assert!(auto.allows(&with_host(ok), true), "{ok}");
        }
        for refused in [
            "attacker.example",
            "attacker.example:9464",
            "localhost.attacker.example",
            "127.0.0.1.nip.io",
            "evil-localhost",
            "localhost:port",
            "localhost:",
            "[::1",
            "[zz]:80",
            ":80",
        ] {
            assert!(!auto.allows(&with_host(refused), true), "{refused}");
        }
        assert!(
            auto.allows(&HeaderMap::new(), true),
            "no Host: not a browser"
        );
        // Not bound to loopback: any host, unless a list is configured.
        assert!(auto.allows(&with_host("attacker.example"), false));
        assert!(HostPolicy::Any.allows(&with_host("attacker.example"), true));
    }

    #[test]
    fn an_allow_list_adds_names_wherever_the_server_is_bound() {
        let list = HostPolicy::list(["metrics.internal", "*.svc.cluster.local"]).unwrap();
        for bound in [true, false] {
            assert!(list.allows(&with_host("Metrics.Internal:9464"), bound));
            assert!(list.allows(&with_host("app.ns.svc.cluster.local"), bound));
            assert!(list.allows(&with_host("localhost"), bound));
            assert!(!list.allows(&with_host("svc.cluster.local"), bound));
            assert!(!list.allows(&with_host("xsvc.cluster.local"), bound));
            assert!(!list.allows(&with_host("attacker.example"), bound));
        }
    }

    #[test]
    fn invalid_allowed_hosts_are_errors() {
        for bad in [
            "",
            "*.",
            "a b",
            "host:9464",
            "http://host",
            "host/path",
            "-host",
            "*",
            "a..b",
        ] {
            assert_eq!(
                HostPolicy::list([bad]),
                Err(AllowedHostError::Invalid(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(HostPolicy::list(Vec::<String>::new()).is_ok());
    }
}
