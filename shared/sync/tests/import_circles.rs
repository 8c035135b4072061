//! No import circle between the files of a crate (issue 31): a file may use the modules below it, never
//! one that uses it back, directly or around a loop. Read from the sources' own `use` lines and the
//! `crate::…` / `super::…` paths in code (comments and `#[cfg(test)]` modules left out), for every crate
//! of the workspace. A new circle fails here with the files and the names that tie them.
//!
//! Run it alone: `cargo test -p acebridge-sync --test import_circles`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source folders checked: every library and binary of the workspace.
const CRATES: &[&str] = &[
    "shared/sync/src",
    "shared/crm/src",
    "shared/notify/src",
    "shared/mapping/src",
    "shared/clock/src",
    "infra/local/pc-emulator/src",
    "infra/cli/src",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src`: `lib.rs`/`main.rs` → [], `a.rs` and `a/mod.rs` → [a].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_string()),
    }
    if parts.first().is_some_and(|p| p == "bin") {
        // A binary under src/bin is a crate root of its own.
        return vec![format!("bin:{}", parts[1..].join("/"))];
    }
    parts
}

/// The code of a file without comments, string literals' contents and its `#[cfg(test)]` modules.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// `a::{b, c::{d, e}}` → [a::b, a::c::d, a::c::e].
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap().trim().to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_string()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// Every `crate::…`, `super::…` and `self::…` path a file's code names, as written.
fn paths_in(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // use statements (with their brace groups).
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before_ok = i == 0
            || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
        let tail = &rest[i + 4..];
        let end = tail.find(';').unwrap_or(tail.len());
        let stmt = tail[..end].trim();
        if before_ok
            && (stmt.starts_with("crate::")
                || stmt.starts_with("super::")
                || stmt.starts_with("self::")
                || stmt.starts_with("crate::{"))
        {
            out.extend(expand(stmt));
        }
        rest = &rest[i + 4..];
    }
    // Paths in code.
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(root) {
            let at = from + i;
            let ok = at == 0 || {
                let c = code.as_bytes()[at - 1];
                !c.is_ascii_alphanumeric() && c != b'_' && c != b':'
            };
            let len = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(code.len() - at);
            if ok {
                out.push(code[at..at + len].trim_end_matches(':').to_string());
            }
            from = at + len.max(1);
        }
    }
    out
}

/// The module a path names: its longest prefix that is a module of the crate.
fn resolve(
    path: &str,
    here: &[String],
    is_mod_rs: bool,
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut segs: Vec<String> = Vec::new();
    let mut parts = path.split("::").peekable();
    match parts.peek().copied() {
        Some("crate") => {
            parts.next();
        }
        Some("super") | Some("self") => {
            // A file's `self` is its module; `super` its parent (for `a/mod.rs` and `a.rs` alike).
            segs = here.to_vec();
            while let Some(p) = parts.peek().copied() {
                match p {
                    "super" => {
                        segs.pop();
                        parts.next();
                    }
                    "self" => {
                        parts.next();
                    }
                    _ => break,
                }
            }
            let _ = is_mod_rs;
        }
        _ => return None,
    }
    segs.extend(parts.map(str::to_string));
    (0..=segs.len())
        .rev()
        .map(|n| segs[..n].to_vec())
        .find(|m| modules.contains(m))
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.edges.get(v) {
            for w in ws {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let l = t.low[w].min(t.low[v]);
                    t.low.insert(v, l);
                } else if t.on.contains(w) {
                    let l = t.index[w].min(t.low[v]);
                    t.low.insert(v, l);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// The import graph of one source folder: file → the files it uses, with the paths that tie them.
fn graph(src: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let known: BTreeSet<Vec<String>> = modules.keys().cloned().collect();
    let name = |f: &Path| f.strip_prefix(src).unwrap().to_string_lossy().into_owned();
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let here = module_of(src, f);
        if here.first().is_some_and(|m| m.starts_with("bin:")) {
            continue;
        }
        let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs");
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let from = name(f);
        let entry = g.entry(from.clone()).or_default();
        for p in paths_in(&code) {
            let Some(target) = resolve(&p, &here, is_mod_rs, &known) else {
                continue;
            };
            // The crate root only declares modules and re-exports; a path through it names its target.
            if target.is_empty() || target == here {
                continue;
            }
            let to = name(&modules[&target]);
            entry.entry(to).or_default().insert(p);
        }
    }
    g
}

#[test]
fn no_file_of_any_crate_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    let mut files = 0;
    for dir in CRATES {
        let src = root.join(dir);
        let g = graph(&src);
        files += g.len();
        let edges: BTreeMap<String, BTreeSet<String>> = g
            .iter()
            .map(|(k, v)| (k.clone(), v.keys().cloned().collect()))
            .collect();
        for circle in circles(&edges) {
            let mut why = String::new();
            for a in &circle {
                for (b, names) in &g[a] {
                    if circle.contains(b) {
                        let names: Vec<&str> = names.iter().map(String::as_str).collect();
                        why.push_str(&format!("\n    {a} -> {b}: {}", names.join(", ")));
                    }
                }
            }
            found.push(format!("{dir}: {}{why}", circle.join(", ")));
        }
    }
    assert!(files > 50, "only {files} files read: wrong folder?");
    assert!(
        found.is_empty(),
        "import circles (move the shared names down to a module both use):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_reader_sees_a_circle_when_there_is_one() {
    let mut edges = BTreeMap::new();
    edges.insert("a.rs".to_string(), BTreeSet::from(["b.rs".to_string()]));
    edges.insert("b.rs".to_string(), BTreeSet::from(["c.rs".to_string()]));
    edges.insert("c.rs".to_string(), BTreeSet::from(["a.rs".to_string()]));
    edges.insert("d.rs".to_string(), BTreeSet::from(["a.rs".to_string()]));
    assert_eq!(circles(&edges), vec![vec!["a.rs", "b.rs", "c.rs"]]);
    assert_eq!(
        expand("crate::partner_central::{self, port::{PartnerCentral, Refusal}, tasks}"),
        vec![
            "crate::partner_central",
            "crate::partner_central::port::PartnerCentral",
            "crate::partner_central::port::Refusal",
            "crate::partner_central::tasks"
        ]
    );
    let code = code_of(
        "use crate::a::B;\n// crate::z::Y\nfn f() { crate::c::d(\"crate::q\"); super::e::F }\n",
    );
    let paths = paths_in(&code);
    assert!(paths.contains(&"crate::a::B".to_string()), "{paths:?}");
    assert!(paths.contains(&"crate::c::d".to_string()), "{paths:?}");
    assert!(paths.contains(&"super::e::F".to_string()), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.contains('z') || p.contains('q')),
        "{paths:?}"
    );
}
