// A label whose values expire (`idle_secs`), by the macro and by the
// derive: its idle time reaches the table, a derived label set forwards
// the generation of its expiring field, and a Counter takes it.
use std::time::Duration;
use tally::{Counter, LabelSet, LabelValue};

tally::dynamic_label!(
    /// A customer, evicted after an hour without a write.
    pub Tenant, name = "tenant", capacity = 4, idle_secs = 3600
);

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Debug)]
#[label(dynamic, name = "session", capacity = 2, idle_secs = 60)]
pub struct Session(tally::dynamic_label::DynamicIndex);

#[derive(LabelSet, Clone, Copy)]
struct Call {
    tenant: Tenant,
    ok: bool,
}

fn main() {
    const _: () = assert!(<Tenant as LabelValue>::EXPIRES);
    const _: () = assert!(<Call as LabelSet>::EXPIRING == 1);
    const _: () = assert!(<(Session, bool) as LabelSet>::EXPIRING == 1);
    assert_eq!(Tenant::table().idle(), Some(Duration::from_secs(3600)));
    assert_eq!(Session::table().idle(), Some(Duration::from_secs(60)));
    let acme = Tenant::admit("acme");
    let call = Call { tenant: acme, ok: true };
    assert_eq!(call.generation(), LabelValue::generation(&acme));
    assert_ne!(call.generation(), 0);
    let calls: Counter<Call> = Counter::new();
    calls.with(call).inc();
    assert_eq!(calls.with(call).get(), 1);
    let s = Session::admit("s1");
    assert_eq!(s.name().as_deref(), Some("s1"));
}
