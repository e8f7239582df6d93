//! The conventional `build_info` family, from one macro call in the
//! application: [`register_build_info!`](crate::register_build_info).

/// The version of the compiler that built this crate (and so the
/// application: one build uses one rustc), e.g. `1.85.0`; `unknown` if the
/// build script could not ask it.
pub const RUSTC_VERSION: &str = match option_env!("TALLY_RUSTC_VERSION") {
    Some(version) => version,
    None => "unknown",
};

/// Registers `build_info{version, revision, rustc} 1` (or
/// `<prefix>_build_info`) into a registry, from the *calling* crate's
/// build:
///
/// - `version`: its `CARGO_PKG_VERSION`;
/// - `revision`: the `TALLY_BUILD_REVISION` or else `GIT_HASH` environment
///   variable at compile time (set it in CI or from a build script with
///   `cargo:rustc-env=GIT_HASH=...`), else `unknown`;
/// - `rustc`: the compiler version ([`RUSTC_VERSION`](crate::RUSTC_VERSION)).
///
/// OpenMetrics exposes it as an info family (`# TYPE build info`,
/// `build_info{...} 1`); Prometheus text and protobuf as a gauge named
/// `build_info`. The registry's prefix applies as to any family. Evaluates
/// to `Result<(), RegistryError>` (`Err` if the name is taken).
///
/// ```
/// let registry = tally_core::Registry::new();
/// tally_export::register_build_info!(&registry, "myapp").unwrap();
/// let mut text = Vec::new();
/// tally_export::encode(tally_export::Format::OpenMetrics, &registry.snapshot(), &mut text);
/// let text = String::from_utf8(text).unwrap();
/// assert!(text.contains("# TYPE myapp_build info\n"));
/// assert!(text.contains(&format!(
///     "myapp_build_info{{version=\"{}\",revision=\"", env!("CARGO_PKG_VERSION"))));
/// ```
#[macro_export]
macro_rules! register_build_info {
    ($registry:expr) => {
        $crate::register_build_info!(@name $registry, "build_info")
    };
    ($registry:expr, $prefix:literal) => {
        $crate::register_build_info!(@name $registry, ::core::concat!($prefix, "_build_info"))
    };
    (@name $registry:expr, $name:expr) => {{
        static LABELS: $crate::__private::LabelDesc = $crate::__private::LabelDesc {
            names: &["version", "revision", "rustc"],
            values: &[
                &[::core::env!("CARGO_PKG_VERSION")],
                &[match ::core::option_env!("TALLY_BUILD_REVISION") {
                    ::core::option::Option::Some(revision) => revision,
                    ::core::option::Option::None => match ::core::option_env!("GIT_HASH") {
                        ::core::option::Option::Some(revision) => revision,
                        ::core::option::Option::None => "unknown",
                    },
                }],
                &[$crate::RUSTC_VERSION],
            ],
            dynamic: &[],
        };
        $crate::__private::register_info(
            $registry,
            $name,
            "Build information: version, VCS revision and rustc version; value 1.",
            &LABELS,
        )
    }};
}

/// Paths [`register_build_info!`](crate::register_build_info) expands to.
/// Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use tally_core::LabelDesc;
    use tally_core::{Desc, Info, Registry, RegistryError};

    /// Registers an info family over static labels with one value each.
    pub fn register_info(
        registry: &Registry,
        name: &'static str,
        help: &'static str,
        labels: &'static LabelDesc,
    ) -> Result<(), RegistryError> {
        // The macro builds one value per label: `Info::new` cannot fail.
        let info = Info::new(labels).map_err(|e| RegistryError::InvalidLabel {
            name: name.to_owned(),
            label: String::new(),
            reason: match e {
                tally_core::InfoError::NotOneValue { .. } => "an info label has one value",
                tally_core::InfoError::Mismatched { .. } => "one value per label name",
                tally_core::InfoError::Dynamic { .. } => "an info label is not runtime-bounded",
            },
        })?;
        registry.register(Desc::new(name, help), info).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use tally_core::{MetricKind, Registry};

    use crate::{encode, Format};

    fn text(registry: &Registry, format: Format) -> String {
        let mut out = Vec::new();
        encode(format, &registry.snapshot(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_series_in_every_format() {
        let registry = Registry::builder().prefix("svc").build().unwrap();
        crate::register_build_info!(&registry).unwrap();
        let snapshot = registry.snapshot();
        assert_eq!(snapshot.families[0].name, "svc_build");
        assert_eq!(snapshot.families[0].kind, MetricKind::Info);
        let pairs: Vec<_> = snapshot.families[0]
            .label_pairs(&snapshot.families[0].series[0])
            .collect();
        let revision = option_env!("TALLY_BUILD_REVISION")
            .or(option_env!("GIT_HASH"))
            .unwrap_or("unknown");
        assert_eq!(
            pairs,
            [
                ("version", env!("CARGO_PKG_VERSION")),
                ("revision", revision),
                ("rustc", crate::RUSTC_VERSION),
            ]
        );
        let labels = format!(
            "{{version=\"{}\",revision=\"{revision}\",rustc=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION"),
            crate::RUSTC_VERSION
        );
        let om = text(&registry, Format::OpenMetrics);
        assert!(om.contains("# TYPE svc_build info\n"), "{om}");
        assert!(om.contains(&format!("\nsvc_build_info{labels}")), "{om}");
        let prom = text(&registry, Format::PrometheusText);
        assert!(prom.contains("# TYPE svc_build_info gauge\n"), "{prom}");
        assert!(
            prom.contains(&format!("\nsvc_build_info{labels}")),
            "{prom}"
        );
        let json = text(&registry, Format::Json);
        assert!(json.contains("\"svc_build_info\""), "{json}");
        // Twice is refused.
        assert!(crate::register_build_info!(&registry).is_err());
    }

    #[test]
    fn rustc_is_the_compilers_version() {
        let out = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
            .arg("--version")
            .output()
            .unwrap();
        let version = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            version.split_whitespace().nth(1),
            Some(crate::RUSTC_VERSION)
        );
    }
}
