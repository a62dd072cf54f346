//! The house rules of the layout, checked over the whole workspace: no circle of files (a file
//! that, through its imports, imports itself), no folder with more than 12 `.rs` files side by
//! side, and no file longer than 600 lines before its tests.
//!
//! A file's imports are the crate-local paths its code names: `use` items, and paths in
//! expressions, types and patterns that start with `crate`, `super`, `self` or a module it
//! declares. A path is charged to the file of the deepest module it names, so importing through
//! a re-export charges the re-exporting file. Code under `#[cfg(test)]` does not count: tests may
//! reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn2::visit::Visit;

/// The most `.rs` files one folder may hold side by side.
const MAX_FILES_PER_FOLDER: usize = 12;

/// The most lines a file may have before its `#[cfg(test)]`.
const MAX_LINES_BEFORE_TESTS: usize = 600;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_owned()
}

/// Every file and folder of the workspace that is not build output, dependencies or history.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
    dirs.push(dir.to_owned());
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("a readable folder").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules" | ".git" | ".venv") {
                walk(&path, files, dirs);
            }
        } else {
            files.push(path);
        }
    }
}

/// A module of a crate: its path from the crate root, and the file its items are in.
#[derive(Debug)]
struct Module {
    file: PathBuf,
    /// The modules it declares, by name (inline ones included).
    children: BTreeSet<String>,
}

/// Every module of the crate whose root is `root_file`, by module path, tests left out.
fn modules(root_file: &Path) -> BTreeMap<Vec<String>, Module> {
    let mut modules = BTreeMap::new();
    collect_file(root_file, Vec::new(), &mut modules);
    modules
}

fn parse(file: &Path) -> syn2::File {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    syn2::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

fn collect_file(file: &Path, path: Vec<String>, modules: &mut BTreeMap<Vec<String>, Module>) {
    let parsed = parse(file);
    // A file's child modules live in its folder when it is a root or `mod.rs`, else in a folder
    // named after it.
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("");
    let dir = if matches!(stem, "lib" | "main" | "mod") {
        file.parent().expect("a file has a folder").to_owned()
    } else {
        file.with_extension("")
    };
    collect_items(file, &dir, &parsed.items, path, modules);
}

fn collect_items(
    file: &Path,
    dir: &Path,
    items: &[syn2::Item],
    path: Vec<String>,
    modules: &mut BTreeMap<Vec<String>, Module>,
) {
    let mut children = BTreeSet::new();
    for item in items {
        let syn2::Item::Mod(module) = item else {
            continue;
        };
        if is_test_only(&module.attrs) {
            continue;
        }
        let name = module.ident.to_string();
        children.insert(name.clone());
        let mut child_path = path.clone();
        child_path.push(name.clone());
        if let Some((_, items)) = &module.content {
            collect_items(file, &dir.join(&name), items, child_path, modules);
        } else {
            let explicit = module.attrs.iter().find_map(|attr| {
                let syn2::Meta::NameValue(meta) = &attr.meta else {
                    return None;
                };
                let syn2::Expr::Lit(syn2::ExprLit {
                    lit: syn2::Lit::Str(value),
                    ..
                }) = &meta.value
                else {
                    return None;
                };
                meta.path
                    .is_ident("path")
                    .then(|| file.parent().expect("a folder").join(value.value()))
            });
            let child_file = explicit.unwrap_or_else(|| {
                let flat = dir.join(format!("{name}.rs"));
                if flat.is_file() {
                    flat
                } else {
                    dir.join(&name).join("mod.rs")
                }
            });
            collect_file(&child_file, child_path, modules);
        }
    }
    modules.insert(
        path,
        Module {
            file: file.to_owned(),
            children,
        },
    );
}

/// Whether the attributes say `#[cfg(test)]`.
fn is_test_only(attrs: &[syn2::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let syn2::Meta::List(list) = &attr.meta else {
            return false;
        };
        list.path.is_ident("cfg") && list.tokens.to_string() == "test"
    })
}

/// The crate-local paths one module's code names, each resolved to a module path.
struct Imports<'a> {
    modules: &'a BTreeMap<Vec<String>, Module>,
    /// The module being visited (inline modules push onto it).
    current: Vec<String>,
    /// The files named, with the paths that named them.
    found: Vec<(PathBuf, String)>,
}

impl Imports<'_> {
    /// Resolves `segments`, written in the current module, to the file of the deepest module
    /// it names; external paths (`std::...`, `serde::...`) are not the crate's.
    fn record(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let mut absolute = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.current.clone(),
            "super" => {
                let mut parent = self.current.clone();
                let mut rest = segments;
                while rest.first().map(String::as_str) == Some("super") {
                    parent.pop();
                    rest = &rest[1..];
                }
                let mut absolute = parent;
                absolute.extend(rest.iter().cloned());
                return self.charge(&absolute, segments);
            }
            name if self
                .modules
                .get(&self.current)
                .is_some_and(|module| module.children.contains(name)) =>
            {
                self.current.clone()
            }
            _ => return,
        };
        let skip = usize::from(matches!(first.as_str(), "crate" | "self"));
        absolute.extend(segments[skip..].iter().cloned());
        self.charge(&absolute, segments);
    }

    fn charge(&mut self, absolute: &[String], segments: &[String]) {
        let deepest = (0..=absolute.len())
            .rev()
            .find_map(|len| self.modules.get(&absolute[..len]));
        if let Some(module) = deepest {
            self.found.push((module.file.clone(), segments.join("::")));
        }
    }
}

/// Every full path a `use` tree names.
fn use_paths(tree: &syn2::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn2::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn2::UseTree::Name(name) => {
            let mut full = prefix.clone();
            if name.ident != "self" {
                full.push(name.ident.to_string());
            }
            out.push(full);
        }
        syn2::UseTree::Rename(rename) => {
            let mut full = prefix.clone();
            if rename.ident != "self" {
                full.push(rename.ident.to_string());
            }
            out.push(full);
        }
        syn2::UseTree::Glob(_) => out.push(prefix.clone()),
        syn2::UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Imports<'_> {
    fn visit_item(&mut self, item: &'ast syn2::Item) {
        let attrs = match item {
            syn2::Item::Mod(item) => &item.attrs,
            syn2::Item::Fn(item) => &item.attrs,
            syn2::Item::Use(item) => &item.attrs,
            syn2::Item::Impl(item) => &item.attrs,
            syn2::Item::Const(item) => &item.attrs,
            syn2::Item::Static(item) => &item.attrs,
            syn2::Item::Struct(item) => &item.attrs,
            syn2::Item::Enum(item) => &item.attrs,
            syn2::Item::Trait(item) => &item.attrs,
            _ => &Vec::new(),
        };
        if is_test_only(attrs) {
            return;
        }
        match item {
            // Its own file is visited on its own; an inline module is part of this one.
            syn2::Item::Mod(module) if module.content.is_none() => {}
            syn2::Item::Mod(module) => {
                self.current.push(module.ident.to_string());
                syn2::visit::visit_item_mod(self, module);
                self.current.pop();
            }
            syn2::Item::Use(item) => {
                let mut paths = Vec::new();
                use_paths(&item.tree, &mut Vec::new(), &mut paths);
                for path in paths {
                    self.record(&path);
                }
            }
            other => syn2::visit::visit_item(self, other),
        }
    }

    fn visit_path(&mut self, path: &'ast syn2::Path) {
        if path.leading_colon.is_none() {
            let segments: Vec<String> = path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect();
            self.record(&segments);
        }
        syn2::visit::visit_path(self, path);
    }

    fn visit_attribute(&mut self, _: &'ast syn2::Attribute) {}

    /// `pub(crate)` and `pub(super)` name modules, but import nothing.
    fn visit_visibility(&mut self, _: &'ast syn2::Visibility) {}
}

/// The files each file of a crate imports.
fn import_graph(root_file: &Path) -> BTreeMap<PathBuf, BTreeMap<PathBuf, String>> {
    let modules = modules(root_file);
    let mut graph: BTreeMap<PathBuf, BTreeMap<PathBuf, String>> = BTreeMap::new();
    let files: BTreeMap<&PathBuf, &Vec<String>> = modules
        .iter()
        // The module whose file it is: the shortest path mapped to it (inline modules are
        // deeper).
        .fold(BTreeMap::new(), |mut files, (path, module)| {
            files
                .entry(&module.file)
                .and_modify(|existing: &mut &Vec<String>| {
                    if path.len() < existing.len() {
                        *existing = path;
                    }
                })
                .or_insert(path);
            files
        });
    for (file, path) in files {
        let mut imports = Imports {
            modules: &modules,
            current: path.clone(),
            found: Vec::new(),
        };
        imports.visit_file(&parse(file));
        let edges = graph.entry(file.clone()).or_default();
        for (target, named) in imports.found {
            if target != *file {
                edges.entry(target).or_insert(named);
            }
        }
    }
    graph
}

/// The strongly connected components of more than one file (Tarjan's algorithm).
fn circles(graph: &BTreeMap<PathBuf, BTreeMap<PathBuf, String>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeMap<PathBuf, String>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn connect<'a>(state: &mut State<'a>, node: &'a PathBuf) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        let graph = state.graph;
        for target in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if !state.index.contains_key(target) {
                connect(state, target);
                let low = state.low[target].min(state.low[node]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.index[target].min(state.low[node]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.clone());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            connect(&mut state, node);
        }
    }
    state.found
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_file_imports_itself_through_others() {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    walk(&workspace_root(), &mut files, &mut dirs);
    let roots: Vec<&PathBuf> = files
        .iter()
        .filter(|file| {
            file.parent().and_then(Path::file_name) == Some("src".as_ref())
                && matches!(
                    file.file_name().and_then(|name| name.to_str()),
                    Some("lib.rs" | "main.rs")
                )
        })
        .collect();
    assert!(roots.len() >= 5, "crate roots found: {roots:?}");
    let mut problems = Vec::new();
    for root in roots {
        let graph = import_graph(root);
        for circle in circles(&graph) {
            let steps: Vec<String> = circle
                .iter()
                .flat_map(|from| {
                    let graph = &graph;
                    let circle = &circle;
                    graph[from]
                        .iter()
                        .filter(move |(to, _)| circle.contains(to))
                        .map(move |(to, named)| {
                            format!("{} -> {} ({named})", relative(from), relative(to))
                        })
                })
                .collect();
            problems.push(format!("a circle of files:\n  {}", steps.join("\n  ")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\npub use a::A;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod inner;\npub struct A(crate::b::B);\n",
    )
    .unwrap();
    std::fs::write(src.join("a/inner.rs"), "fn f() -> super::A { todo!() }\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct B;\nfn g(_: crate::a::A) {}\n#[cfg(test)]\nmod tests { use crate::a; }\n",
    )
    .unwrap();
    let graph = import_graph(&src.join("lib.rs"));
    let found = circles(&graph);
    assert_eq!(found, [vec![src.join("a/mod.rs"), src.join("b.rs")]]);
    assert!(graph[&src.join("a/inner.rs")].contains_key(&src.join("a/mod.rs")));
}

#[test]
fn no_folder_is_crowded() {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    walk(&workspace_root(), &mut files, &mut dirs);
    let crowded: Vec<String> = dirs
        .iter()
        .filter_map(|dir| {
            let count = files
                .iter()
                .filter(|file| {
                    file.parent() == Some(dir.as_path())
                        && file.extension().is_some_and(|ext| ext == "rs")
                })
                .count();
            (count > MAX_FILES_PER_FOLDER).then(|| format!("{}: {count} .rs files", relative(dir)))
        })
        .collect();
    assert!(
        crowded.is_empty(),
        "more than {MAX_FILES_PER_FOLDER} .rs files side by side:\n{}",
        crowded.join("\n")
    );
}

#[test]
fn no_file_is_long_before_its_tests() {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    walk(&workspace_root(), &mut files, &mut dirs);
    let long: Vec<String> = files
        .iter()
        .filter(|file| file.extension().is_some_and(|ext| ext == "rs"))
        .filter_map(|file| {
            let text = std::fs::read_to_string(file).ok()?;
            let before_tests = text
                .lines()
                .take_while(|line| *line != "#[cfg(test)]")
                .count();
            (before_tests > MAX_LINES_BEFORE_TESTS)
                .then(|| format!("{}: {before_tests} lines", relative(file)))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files longer than {MAX_LINES_BEFORE_TESTS} lines before their tests:\n{}",
        long.join("\n")
    );
}
