//! No two modules of a crate import each other, directly or through
//! others: each crate's `use crate::..` / `use super::..` graph between its
//! source files has no cycle (a parent declaring its children with `mod`
//! is structure, not an import, and test modules are left out). A cycle
//! is listed with the modules on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`["read", "encode", "text"]`) of each `.rs` file under `src`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The source without its test modules (`#[cfg(test)]`, `#[cfg(all(test,
/// ..))]` before a `mod`: everything from there on, as they come last).
fn without_tests(source: &str) -> &str {
    let mut cut = source.len();
    for marker in ["#[cfg(test)]", "#[cfg(all(test"] {
        let mut from = 0;
        while let Some(at) = source[from..].find(marker) {
            let at = from + at;
            let after = source[at..].find(']').map_or(at, |e| at + e + 1);
            if source[after..].trim_start().starts_with("mod ") {
                cut = cut.min(at);
                break;
            }
            from = at + marker.len();
        }
    }
    &source[..cut]
}

/// The paths a `use` item names: `crate::a::{b, c::d}` gives `a::b`,
/// `a::c`; `super::x` is resolved against `module`.
fn imported(module: &[String], item: &str) -> Vec<Vec<String>> {
    let item: String = item.split_whitespace().collect();
    let (head, group) = match item.split_once("::{") {
        Some((head, rest)) => (head.to_owned(), Some(rest.trim_end_matches('}').to_owned())),
        None => (item.clone(), None),
    };
    let mut parts = head.split("::").map(str::to_owned).collect::<Vec<_>>();
    let mut base: Vec<String> = match parts.first().map(String::as_str) {
        Some("crate") => {
            parts.remove(0);
            Vec::new()
        }
        Some("super" | "self") => {
            let mut base = module.to_vec();
            while let Some(first) = parts.first().cloned() {
                match first.as_str() {
                    "super" => drop(base.pop()),
                    "self" => {}
                    _ => break,
                }
                parts.remove(0);
            }
            base
        }
        _ => return Vec::new(),
    };
    base.extend(parts);
    let mut out = vec![base.clone()];
    if let Some(group) = group {
        for name in group.split(',') {
            let first = name.split("::").next().unwrap_or("").split(" as ").next();
            if let Some(first) = first.filter(|f| !f.is_empty() && *f != "self" && *f != "*") {
                let mut path = base.clone();
                path.push(first.to_owned());
                out.push(path);
            }
        }
    }
    out
}

/// The module of `path`: its longest prefix that is a file of the crate.
fn owner(modules: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains_key(p))
        .unwrap_or_default()
}

/// Module -> the modules it imports from (ancestors and descendants left
/// out: a `mod.rs` re-exporting its children is how a folder is built).
fn graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules(src);
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).unwrap();
        let mut edges = BTreeSet::new();
        for item in without_tests(&source).split("use ").skip(1) {
            let Some(item) = item.split(';').next() else {
                continue;
            };
            for path in imported(module, item) {
                let to = owner(&modules, &path);
                let nested = to.starts_with(module) || module.starts_with(&to);
                if !nested {
                    edges.insert(to);
                }
            }
        }
        graph.insert(module.clone(), edges);
    }
    graph
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(
    graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    start: &Vec<String>,
) -> Option<Vec<Vec<String>>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                return Some(path);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cycles = Vec::new();
    for krate in [
        "src",
        "metrics-core/src",
        "metrics-derive/src",
        "metrics-export/src",
    ] {
        let graph = graph(&root.join(krate));
        assert!(graph.len() > 1, "{krate}: no modules read");
        for module in graph.keys() {
            if let Some(cycle) = cycle_from(&graph, module) {
                let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
                cycles.push(format!("{krate}: {}", names.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_check_finds_a_cycle() {
    let dir = std::env::temp_dir().join(format!("tally-import-cycles-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(dir.join("a/mod.rs"), "use crate::b::{X, Y};\nmod inner;\n").unwrap();
    std::fs::write(dir.join("a/inner.rs"), "use super::super::b::Y;\n").unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "pub struct X;\npub struct Y;\nuse crate::a::Z;\n#[cfg(test)]\nmod tests { use crate::c; }\n",
    )
    .unwrap();
    let graph = graph(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let a = vec!["a".to_owned()];
    let b = vec!["b".to_owned()];
    assert!(graph[&a].contains(&b), "{graph:?}");
    assert!(graph[&vec!["a".to_owned(), "inner".to_owned()]].contains(&b));
    assert_eq!(
        graph[&b],
        BTreeSet::from([a.clone()]),
        "test module left out"
    );
    assert!(cycle_from(&graph, &a).is_some());
}
