//! The live page in a real browser: Debian's headless Chromium, driven
//! over WebDriver by chromedriver, opens the page of a standalone server
//! over a registry with known values, and the test checks what the page
//! shows against the registry. Screenshots go to `target/page-artifacts/`.

#![cfg(feature = "http")]

mod page_support;

use std::time::Duration;

use page_support::demo::{Demo, Route};
use page_support::{artifacts_dir, skip_browser, Browser};
use serde_json::{json, Value as Json};
use tally_core::{RegistrySnapshot, Value};
use tally_export::quantile_value;

/// Every card: family, kind, charts, shown values (`data-role` and
/// `data-q` elements: raw value and text), visibility, legend.
const CARDS: &str = r#"
const read = sel => (c) => Object.fromEntries([...c.querySelectorAll(sel)].map(e =>
  [e.dataset.role || e.dataset.q, {value: Number(e.dataset.value), text: e.textContent}]));
return [...document.querySelectorAll('section.card')].map(c => ({
  family: c.dataset.family,
  kind: c.dataset.kind,
  hidden: c.hidden || c.closest('details').hidden,
  charts: c.querySelectorAll('.viz svg.chart').length,
  lines: c.querySelectorAll('.viz svg.chart polyline').length,
  values: read('[data-role]')(c),
  quantiles: read('[data-q]')(c),
  legend: (c.querySelector('.legend') || {}).textContent || '',
}));
"#;

fn cards(browser: &Browser) -> Vec<Json> {
    browser.eval(CARDS, json!([])).as_array().unwrap().clone()
}

fn card<'a>(cards: &'a [Json], family: &str) -> &'a Json {
    cards
        .iter()
        .find(|c| c["family"] == family)
        .unwrap_or_else(|| panic!("no card for {family}: {cards:#?}"))
}

/// `1234567` as `1,234,567` (what the page shows for integers).
fn grouped(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The page's name of each family of the snapshot.
fn page_names(snapshot: &RegistrySnapshot) -> Vec<String> {
    snapshot
        .families
        .iter()
        .map(|f| match f.kind {
            tally_core::MetricKind::Counter => format!("{}_total", f.name),
            _ => f.name.clone(),
        })
        .collect()
}

fn screenshot_secs() -> u64 {
    std::env::var("TALLY_PAGE_SCREENSHOT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

#[test]
fn the_page_charts_every_family_with_the_registry_numbers() {
    if skip_browser() {
        return;
    }
    let mut demo = Demo::start("127.0.0.1:0".parse().unwrap());
    demo.stats.record_known();
    let browser = Browser::start(1440, 1100);
    browser.open(&demo.page_url(0.25));
    browser.wait_for(
        "two polls",
        Duration::from_secs(10),
        "return !!window.tallyPage && window.tallyPage.polls >= 2",
    );
    let shown = cards(&browser);
    let snapshot = demo.registry.snapshot();

    // A card with a chart for every family, the self-telemetry included.
    for name in page_names(&snapshot) {
        let c = card(&shown, &name);
        assert_eq!(c["hidden"], false, "{name}");
        assert_eq!(c["charts"], 1, "{name}: {c}");
        assert!(c["lines"].as_u64().unwrap() >= 1, "{name}: {c}");
    }
    assert_eq!(shown.len(), snapshot.families.len());

    // Counters: the total of every series, exact; no traffic, no rate.
    let requests = card(&shown, "http_requests_total");
    assert_eq!(requests["kind"], "counter");
    assert_eq!(requests["values"]["total"]["value"], 1574);
    assert_eq!(requests["values"]["total"]["text"], grouped(1574));
    assert_eq!(requests["values"]["rate"]["text"], "0/s");
    let bytes_total = (3u64 << 20) + 40_960;
    let response_bytes = card(&shown, "http_response_bytes_total");
    assert_eq!(response_bytes["values"]["total"]["value"], bytes_total);
    assert_eq!(
        response_bytes["values"]["total"]["text"],
        format!("{:.2} MiB", bytes_total as f64 / 1048576.0)
    );

    // Histograms: p50/p90/p99 of the busiest series, in milliseconds.
    let latency = card(&shown, "http_latency_seconds");
    assert_eq!(latency["lines"], 3);
    let legend = latency["legend"].as_str().unwrap();
    let route = [Route::Items, Route::Slow]
        .into_iter()
        .find(|r| legend.contains(<Route as tally_core::LabelValue>::VALUES[*r as usize]))
        .unwrap_or_else(|| panic!("legend {legend:?}"));
    let series = demo.stats.latency.with(route).snapshot();
    for (q, key) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
        let shown = &latency["quantiles"][key];
        let want = quantile_value(&series, q);
        assert_eq!(shown["value"].as_f64(), Some(want), "{key}");
        let text = shown["text"].as_str().unwrap();
        let ms: f64 = text.strip_suffix(" ms").expect(text).parse().unwrap();
        assert!(
            (ms / 1e3 - want).abs() <= want * 0.005,
            "{key}: {text} vs {want}"
        );
    }

    // Gauges, a ratio and a windowed histogram, as they are.
    let in_flight = card(&shown, "http_in_flight");
    assert_eq!(in_flight["values"]["value"]["value"], 7);
    assert_eq!(in_flight["values"]["value"]["text"], "7");
    let queued = card(&shown, "jobs_queued");
    assert_eq!(queued["values"]["total"]["value"], 15);
    assert_eq!(queued["lines"], 3);
    assert_eq!(
        card(&shown, "cache_hit_ratio")["values"]["value"]["text"],
        "87.5 %"
    );
    let recent = card(&shown, "jobs_recent_duration_seconds");
    assert_eq!(recent["kind"], "summary");
    assert_eq!(
        recent["quantiles"]["p99"]["value"].as_f64(),
        Some(quantile_value(&demo.stats.recent.snapshot(), 0.99))
    );

    // Per series: every series of the family with its own value.
    let rows = browser.eval(
        r#"const c = document.querySelector('section.card[data-family="http_requests_total"]');
           c.querySelector('button.more').click();
           return [...c.querySelectorAll('tr[data-series]')].map(r =>
             [r.dataset.series, Number(r.querySelector('td.num').dataset.value),
              r.querySelectorAll('svg.small').length]);"#,
        json!([]),
    );
    let family = snapshot
        .families
        .iter()
        .find(|f| f.name == "http_requests")
        .unwrap();
    let want: Vec<Json> = family
        .series
        .iter()
        .map(|s| {
            let labels: Vec<&str> = family.label_pairs(s).map(|(_, v)| v).collect();
            let Value::Counter(v) = s.value else {
                panic!("{s:?}")
            };
            json!([labels.join(","), v, 1])
        })
        .collect();
    assert_eq!(rows, Json::Array(want));

    // The filter keeps the matching families (name, help or label value).
    let visible = browser.eval(
        r#"const f = document.getElementById('filter');
           f.value = 'thumbnails'; f.dispatchEvent(new Event('input'));
           return [...document.querySelectorAll('section.card')]
             .filter(c => !c.hidden && !c.closest('details').hidden).map(c => c.dataset.family);"#,
        json!([]),
    );
    assert_eq!(visible, json!(["jobs_queued"]));
    browser.eval(
        r#"const f = document.getElementById('filter');
           f.value = ''; f.dispatchEvent(new Event('input'));"#,
        json!([]),
    );

    // Under load the rates move; the screenshot shows the page at work,
    // latency per route.
    browser.eval(
        r#"for (const f of ['http_requests_total', 'http_latency_seconds'])
             document.querySelector(`section.card[data-family="${f}"] button.more`).click();"#,
        json!([]),
    );
    demo.start_load();
    let polls = browser.eval("return window.tallyPage.polls", json!([]));
    std::thread::sleep(Duration::from_secs(screenshot_secs()));
    let state = browser.eval("return window.tallyPage", json!([]));
    assert!(state["polls"].as_u64() > polls.as_u64(), "{state}");
    assert_eq!(state["errors"], 0, "{state}");
    let shown = cards(&browser);
    let rate = card(&shown, "http_requests_total")["values"]["rate"]["text"].clone();
    assert!(
        rate != "0/s" && !rate.as_str().unwrap().starts_with('-'),
        "{rate}"
    );
    browser.eval("window.scrollTo(0, 0)", json!([]));
    browser.screenshot(&artifacts_dir().join("live-page.png"));
}

#[test]
fn the_page_keeps_its_data_while_polls_fail_and_survives_a_restart() {
    if skip_browser() {
        return;
    }
    let mut demo = Demo::start("127.0.0.1:0".parse().unwrap());
    demo.stats.record_known();
    let addr = demo.addr;
    let browser = Browser::start(1280, 900);
    browser.open(&demo.page_url(0.25));
    browser.wait_for(
        "two polls",
        Duration::from_secs(10),
        "return !!window.tallyPage && window.tallyPage.polls >= 2",
    );
    let before = cards(&browser);

    // The service goes away: an error banner, the last data still there.
    demo.stop_server();
    browser.wait_for(
        "a failed poll",
        Duration::from_secs(10),
        "return window.tallyPage.errors >= 2",
    );
    let banner = browser.eval(
        r#"const b = document.getElementById('banner');
           return {hidden: b.hidden, text: b.textContent,
                   stale: document.body.classList.contains('stale'),
                   status: document.getElementById('status').textContent};"#,
        json!([]),
    );
    assert_eq!(banner["hidden"], false, "{banner}");
    assert!(
        banner["text"].as_str().unwrap().starts_with("Cannot reach"),
        "{banner}"
    );
    assert!(banner["status"].as_str().unwrap().contains("poll failed"));
    assert_eq!(banner["stale"], true);
    let during = cards(&browser);
    assert_eq!(during.len(), before.len());
    assert_eq!(
        card(&during, "http_requests_total")["values"]["total"]["value"],
        1574
    );
    assert_eq!(card(&during, "http_latency_seconds")["lines"], 3);
    browser.screenshot(&artifacts_dir().join("live-page-error.png"));

    // It comes back, restarted: counters lower than before are a reset,
    // not a negative rate.
    drop(demo);
    let restarted = Demo::start(addr);
    restarted
        .stats
        .requests
        .with((
            page_support::demo::Method::Get,
            page_support::demo::Status::Ok,
        ))
        .add(5);
    let polls = browser.eval("return window.tallyPage.polls", json!([]));
    browser.wait_for(
        "polls after the restart",
        Duration::from_secs(10),
        &format!("return window.tallyPage.polls >= {} + 2", polls),
    );
    let state = browser.eval("return window.tallyPage", json!([]));
    assert!(state["resets"].as_u64().unwrap() >= 1, "{state}");
    let after = cards(&browser);
    let requests = card(&after, "http_requests_total");
    assert_eq!(requests["values"]["total"]["value"], 5);
    let rate = requests["values"]["rate"]["text"].as_str().unwrap();
    assert!(!rate.starts_with('-'), "{rate}");
    let banner = browser.eval(
        r#"const b = document.getElementById('banner');
           return {hidden: b.hidden, text: b.textContent,
                   stale: document.body.classList.contains('stale')};"#,
        json!([]),
    );
    assert_eq!(banner["stale"], false, "{banner}");
    assert!(
        banner["text"].as_str().unwrap().contains("restarted"),
        "{banner}"
    );
}

/// A crafted link cannot stop the page: a fragment with a malformed
/// percent escape is taken as typed and the page polls on.
#[test]
fn a_malformed_fragment_neither_throws_nor_stops_polling() {
    if skip_browser() {
        return;
    }
    let demo = Demo::start("127.0.0.1:0".parse().unwrap());
    demo.stats.record_known();
    let browser = Browser::start(1024, 768);
    for (fragment, shown) in [
        ("%", "%"),
        ("%E0%A4%A", "%E0%A4%A"),
        ("http%5Fin", "http_in"),
    ] {
        // A fresh document each time (a fragment change alone does not
        // reload the page).
        browser.open("about:blank");
        browser.open(&format!("{}#{fragment}", demo.page_url(0.25)));
        browser.wait_for(
            &format!("two polls with #{fragment}"),
            Duration::from_secs(10),
            "return !!window.tallyPage && window.tallyPage.polls >= 2",
        );
        let state = browser.eval(
            "return {filter: document.getElementById('filter').value, errors: window.tallyPage.errors}",
            json!([]),
        );
        assert_eq!(state["filter"], shown, "{state}");
        assert_eq!(state["errors"], 0, "{state}");
    }
    // The decoded filter applies: only the in-flight gauge matches.
    let visible = browser.eval(
        r#"return [...document.querySelectorAll('section.card')]
             .filter(c => !c.hidden && !c.closest('details').hidden).map(c => c.dataset.family);"#,
        json!([]),
    );
    assert_eq!(visible, json!(["http_in_flight"]));
}

/// Under its strict policy the page's own script and style run (it polls,
/// it is styled) while a script or style injected into it does not.
#[test]
fn the_page_runs_under_a_policy_that_refuses_injected_script_and_style() {
    if skip_browser() {
        return;
    }
    let demo = Demo::start("127.0.0.1:0".parse().unwrap());
    let browser = Browser::start(1024, 768);
    browser.open(&demo.page_url(0.25));
    browser.wait_for(
        "two polls",
        Duration::from_secs(10),
        "return !!window.tallyPage && window.tallyPage.polls >= 2",
    );
    let probe = browser.eval(
        r#"const violations = [];
           document.addEventListener('securitypolicyviolation', e => violations.push(e.violatedDirective));
           const s = document.createElement('script');
           s.textContent = 'window.injected = 1';
           document.body.appendChild(s);
           const st = document.createElement('style');
           st.textContent = 'body { background: rgb(1, 2, 3) !important }';
           document.head.appendChild(st);
           return new Promise(done => setTimeout(() => done({
             injected: window.injected === 1,
             background: getComputedStyle(document.body).backgroundColor,
             header: getComputedStyle(document.querySelector('header')).position,
             violations,
           }), 200));"#,
        json!([]),
    );
    assert_eq!(probe["injected"], false, "{probe}");
    assert_eq!(probe["background"], "rgb(246, 247, 249)", "{probe}");
    assert_eq!(probe["header"], "sticky", "{probe}");
    let violations = probe["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.as_str().unwrap().starts_with("script-src"))
            && violations
                .iter()
                .any(|v| v.as_str().unwrap().starts_with("style-src")),
        "{probe}"
    );
}

/// What a service's page shows at a glance reads as meant: a start time
/// as a date and an age (not "1,796,284,728 s"), a long family name whole
/// (wrapped, not cut to "http_server_request_…"), an info family's labels.
#[test]
fn timestamps_read_as_dates_long_names_wrap_and_info_labels_show() {
    if skip_browser() {
        return;
    }
    let demo = Demo::start("127.0.0.1:0".parse().unwrap());
    demo.stats.record_known();
    const LONG: &str = "background_reindexing_pipeline_documents_waiting_for_embedding";
    demo.registry
        .register(
            tally_core::Desc::new(LONG, "Documents queued."),
            tally_core::Gauge::<()>::new(),
        )
        .unwrap()
        .set(12);
    static BUILD: tally_core::LabelDesc = tally_core::LabelDesc {
        names: &["version", "revision"],
        values: &[&["1.4.2"], &["abc123"]],
        dynamic: &[],
    };
    demo.registry
        .register(
            tally_core::Desc::new("app_build_info", "Build."),
            tally_core::Info::new(&BUILD).unwrap(),
        )
        .unwrap();
    let browser = Browser::start(1280, 900);
    browser.open(&demo.page_url(0.25));
    browser.wait_for(
        "two polls",
        Duration::from_secs(10),
        "return !!window.tallyPage && window.tallyPage.polls >= 2",
    );
    let shown = cards(&browser);

    // The process start: a local date and an age.
    let start = &card(&shown, "process_start_time_seconds")["values"]["value"];
    let want = tally_export::process_start_time().expect("linux");
    assert_eq!(start["value"].as_f64(), Some(want));
    let text = start["text"].as_str().unwrap();
    let (date, age) = text.split_once(" (").expect(text);
    let date_ok = date.len() == 19
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    assert!(date_ok, "{text}");
    assert!(
        age.ends_with(" s ago)") || age.ends_with(" min ago)"),
        "{text}"
    );
    let shown_date = browser.eval(
        "const d = new Date(arguments[0] * 1000); return d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();",
        json!([want]),
    );
    assert_eq!(
        date[..10].replace('-', ""),
        shown_date.to_string(),
        "{text}"
    );

    // The long name: whole, inside its card.
    let name = browser.eval(
        r#"const c = document.querySelector(`section.card[data-family="${arguments[0]}"]`);
           const n = c.querySelector('.name'), r = n.getBoundingClientRect(), cr = c.getBoundingClientRect();
           return {text: n.textContent, clipped: n.scrollWidth > n.clientWidth,
                   inside: r.right <= cr.right + 0.5, lines: Math.round(r.height / 16)};"#,
        json!([LONG]),
    );
    assert_eq!(name["text"], LONG, "{name}");
    assert_eq!(name["clipped"], false, "{name}");
    assert_eq!(name["inside"], true, "{name}");
    assert_eq!(card(&shown, LONG)["values"]["value"]["text"], "12");

    // The info family: its labels, not a bare 1.
    let info = card(&shown, "app_build_info");
    let text = info["values"]["info"]["text"].as_str().unwrap();
    assert_eq!(text, "version=1.4.2 revision=abc123", "{info}");
    browser.eval("window.scrollTo(0, document.body.scrollHeight)", json!([]));
    browser.screenshot(&artifacts_dir().join("live-page-dates-names-info.png"));
}
