//! How a call ended, and how the generated code tells from its return
//! value (autoref specialization: the most specific of three impls
//! applies, chosen at compile time for the function's concrete type).

use crate::label::LabelValue;

/// The `result` label of `function_calls_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned, and not an `Err`.
    Ok,
    /// Returned an `Err`.
    Error,
    /// A future dropped before it completed.
    Cancelled,
    /// Unwound by a panic.
    Panicked,
}

#[diagnostic::do_not_recommend]
impl LabelValue for Outcome {
    const NAME: &'static str = "result";
    const VALUES: &'static [&'static str] = &["ok", "error", "cancelled", "panicked"];

    #[inline(always)]
    fn ordinal(&self) -> usize {
        *self as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [
            Outcome::Ok,
            Outcome::Error,
            Outcome::Cancelled,
            Outcome::Panicked,
        ]
        .get(ordinal)
        .copied()
    }
}

/// What a returned value says about the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not an `Err`.
    Ok,
    /// An `Err` whose type has no bounded kind.
    Error,
    /// An `Err` of a `LabelValue` type: its ordinal and the type's values.
    ErrorKind(usize, &'static [&'static str]),
}

/// The return value of an instrumented call, asked for its [`Verdict`]
/// as `(&&&Probe(&value)).__tally_verdict()`.
pub struct Probe<'a, T>(pub &'a T);

/// `Result<T, E>` with `E: LabelValue`: the error's kind.
pub trait ViaLabel {
    /// The verdict.
    fn __tally_verdict(&self) -> Verdict;
}

/// Any other `Result`: ok or error.
pub trait ViaResult {
    /// The verdict.
    fn __tally_verdict(&self) -> Verdict;
}

/// Anything else: ok.
pub trait ViaAny {
    /// The verdict.
    fn __tally_verdict(&self) -> Verdict;
}

impl<T, E: LabelValue> ViaLabel for &&Probe<'_, Result<T, E>> {
    #[inline(always)]
    fn __tally_verdict(&self) -> Verdict {
        match self.0 {
            Ok(_) => Verdict::Ok,
            Err(e) => Verdict::ErrorKind(e.ordinal(), E::VALUES),
        }
    }
}

impl<T, E> ViaResult for &Probe<'_, Result<T, E>> {
    #[inline(always)]
    fn __tally_verdict(&self) -> Verdict {
        match self.0 {
            Ok(_) => Verdict::Ok,
            Err(_) => Verdict::Error,
        }
    }
}

impl<T> ViaAny for Probe<'_, T> {
    #[inline(always)]
    fn __tally_verdict(&self) -> Verdict {
        Verdict::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    enum Kind {
        A,
        B,
    }

    impl LabelValue for Kind {
        const NAME: &'static str = "kind";
        const VALUES: &'static [&'static str] = &["a", "b"];
        fn ordinal(&self) -> usize {
            *self as usize
        }
        fn from_ordinal(o: usize) -> Option<Self> {
            [Kind::A, Kind::B].get(o).copied()
        }
    }

    #[test]
    #[allow(clippy::needless_borrow)] // the borrows choose the impl
    fn the_most_specific_impl_decides() {
        let plain: u32 = 3;
        assert_eq!((&&&Probe(&plain)).__tally_verdict(), Verdict::Ok);
        let io: Result<(), std::io::Error> = Err(std::io::Error::other("x"));
        assert_eq!((&&&Probe(&io)).__tally_verdict(), Verdict::Error);
        let fine: Result<u8, std::io::Error> = Ok(1);
        assert_eq!((&&&Probe(&fine)).__tally_verdict(), Verdict::Ok);
        let kind: Result<(), Kind> = Err(Kind::B);
        assert_eq!(
            (&&&Probe(&kind)).__tally_verdict(),
            Verdict::ErrorKind(1, &["a", "b"])
        );
        let _ = Kind::A;
    }
}
