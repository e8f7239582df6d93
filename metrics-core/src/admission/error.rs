//! Why a runtime label value was refused.

/// Why a value was not admitted into a runtime-bounded label: the `Err` of
/// declaration and [`try_get`](crate::DynamicLabel::try_get), and (as its
/// [`Rejection`]) the reason a refusal on the recording path is counted
/// under.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DynamicLabelError {
    /// Every slot of the label is taken.
    #[error("label `{label}` is full ({capacity} values): \"{value}\" goes to the overflow value")]
    Full {
        /// The label name.
        label: &'static str,
        /// Its capacity.
        capacity: usize,
        /// The refused value (escaped).
        value: String,
    },
    /// The label was sealed: only declared values are admitted.
    #[error("label `{label}` is sealed: \"{value}\" was not declared")]
    Sealed {
        /// The label name.
        label: &'static str,
        /// The refused value (escaped).
        value: String,
    },
    /// An empty string.
    #[error("label `{label}`: a label value cannot be empty")]
    Empty {
        /// The label name.
        label: &'static str,
    },
    /// Longer than [`MAX_VALUE_LEN`](crate::dynamic_label::MAX_VALUE_LEN).
    #[error("label `{label}`: a label value is at most {max} bytes, this one has {len}")]
    TooLong {
        /// The label name.
        label: &'static str,
        /// The value's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Contains a control character (newline, tab, NUL, ...).
    #[error("label `{label}`: the value \"{value}\" contains a control character")]
    ControlChar {
        /// The label name.
        label: &'static str,
        /// The refused value (escaped).
        value: String,
    },
    /// The overflow value itself.
    #[error("label `{label}`: \"__overflow__\" is reserved for the overflow series")]
    Reserved {
        /// The label name.
        label: &'static str,
    },
}

impl DynamicLabelError {
    /// The reason, as counted in self-telemetry.
    pub fn reason(&self) -> Rejection {
        match self {
            DynamicLabelError::Full { .. } => Rejection::Full,
            DynamicLabelError::Sealed { .. } => Rejection::Sealed,
            DynamicLabelError::Empty { .. } => Rejection::Empty,
            DynamicLabelError::TooLong { .. } => Rejection::TooLong,
            DynamicLabelError::ControlChar { .. } => Rejection::ControlChar,
            DynamicLabelError::Reserved { .. } => Rejection::Reserved,
        }
    }
}

/// Why a resolution went to the overflow value: the `reason` label of
/// `tally_label_overflow_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The label was full (`full`).
    Full,
    /// The label was sealed and the value undeclared (`sealed`).
    Sealed,
    /// An empty value (`empty`).
    Empty,
    /// A value over the length limit (`too_long`).
    TooLong,
    /// A value with a control character (`control_char`).
    ControlChar,
    /// The overflow value itself (`reserved`).
    Reserved,
    /// A record through a kept handle whose value had been evicted
    /// (`expired`; labels with an idle time only).
    Expired,
}

impl Rejection {
    /// Every reason, by ordinal.
    pub const ALL: [Rejection; 7] = [
        Rejection::Full,
        Rejection::Sealed,
        Rejection::Empty,
        Rejection::TooLong,
        Rejection::ControlChar,
        Rejection::Reserved,
        Rejection::Expired,
    ];

    /// The exposed string: the `reason` label's value.
    pub fn as_str(self) -> &'static str {
        [
            "full",
            "sealed",
            "empty",
            "too_long",
            "control_char",
            "reserved",
            "expired",
        ][self as usize]
    }
}
