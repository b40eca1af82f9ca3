//! The documentation stays true to the tree: every relative link in
//! README.md, SECURITY.md and `docs/*.md` reaches a file (and its `#anchor`
//! a heading there), and every `path/in/backticks` that names a file or
//! folder of the repository exists.

use crate::Result;
use std::path::{Path, PathBuf};

/// Top-level folders of the repository: a backticked path starting with
/// one of them names something committed (build output such as `target/`
/// and runtime state such as `.data/` are left out on purpose).
const TREE_ROOTS: &[&str] = &[
    "app",
    "server",
    "frontend",
    "e2e",
    "xtask",
    "docs",
    "migrations",
    "style",
    "public",
    "deploy",
    ".ci",
    ".sqlx",
];

/// Checks the documents and prints how much was checked; `Err` lists every
/// broken link and path, each with its file and line.
pub fn check(root: &Path) -> Result<()> {
    let mut files = vec![root.join("README.md"), root.join("SECURITY.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .map_err(|e| format!("cannot read docs/: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let (mut links, mut paths, mut broken) = (0, 0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let name = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        for (line, target) in links_in(&text) {
            links += 1;
            if let Err(why) = check_link(root, file, &target) {
                broken.push(format!("{name}:{line}: link ({target}) {why}"));
            }
        }
        for (line, path) in tree_paths_in(&text) {
            paths += 1;
            if !root.join(path.trim_end_matches('/')).exists() {
                broken.push(format!("{name}:{line}: `{path}` does not exist"));
            }
        }
    }
    if !broken.is_empty() {
        return Err(format!(
            "the documentation names what is not there:\n  {}",
            broken.join("\n  ")
        ));
    }
    println!(
        "  {} documents: {links} relative links and {paths} paths, all there",
        files.len()
    );
    Ok(())
}

/// `Err` says what is wrong with the relative link `target` in `file`.
fn check_link(root: &Path, file: &Path, target: &str) -> std::result::Result<(), String> {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let resolved = if path.is_empty() {
        file.to_path_buf()
    } else {
        file.parent().unwrap_or(root).join(path)
    };
    if !resolved.exists() {
        return Err("reaches no file".into());
    }
    let Some(anchor) = anchor else { return Ok(()) };
    if resolved.extension().is_none_or(|x| x != "md") {
        return Ok(());
    }
    let text = std::fs::read_to_string(&resolved).map_err(|e| e.to_string())?;
    if headings(&text).iter().any(|h| slug(h) == anchor) {
        Ok(())
    } else {
        Err("names a heading that is not there".into())
    }
}

/// Lines outside fenced code blocks, numbered from 1.
fn prose(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fenced = false;
    text.lines().enumerate().filter_map(move |(i, line)| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return None;
        }
        (!fenced).then_some((i + 1, line))
    })
}

/// The headings' texts (ATX style, `#` to `######`).
fn headings(text: &str) -> Vec<String> {
    prose(text)
        .filter_map(|(_, line)| {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            (1..=6)
                .contains(&hashes)
                .then(|| line[hashes..].strip_prefix(' '))
                .flatten()
                .map(|h| h.trim().to_owned())
        })
        .collect()
}

/// A heading's anchor as GitHub makes it: lower case, punctuation other
/// than `-` and `_` dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Relative link targets, `[text](target)`, with their line: not web
/// addresses, not mail addresses.
fn links_in(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (line_no, line) in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].trim();
            rest = &rest[end..];
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            out.push((line_no, target.to_owned()));
        }
    }
    out
}

/// Backticked repository paths with their line: a code span without
/// spaces or placeholders whose first segment is one of [`TREE_ROOTS`] and
/// that has a second one (`server/src/cli.rs`, `e2e/tests/`).
fn tree_paths_in(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (line_no, line) in prose(text) {
        for span in line.split('`').skip(1).step_by(2) {
            let looks_like_a_path = !span.is_empty()
                && !span.contains(|c: char| c.is_whitespace() || "<>*…{}$|,;=".contains(c))
                && span
                    .split_once('/')
                    .is_some_and(|(first, rest)| TREE_ROOTS.contains(&first) && !rest.is_empty());
            if looks_like_a_path {
                out.push((line_no, span.to_owned()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_made_as_github_makes_them() {
        assert_eq!(slug("`cargo xtask test`"), "cargo-xtask-test");
        assert_eq!(
            slug("Versions: no lost updates"),
            "versions-no-lost-updates"
        );
        assert_eq!(
            slug("Text: case and normal forms"),
            "text-case-and-normal-forms"
        );
    }

    #[test]
    fn finds_relative_links_and_tree_paths_outside_code_blocks() {
        let text = "See [ops](docs/operations.md#configuration) and [web](https://example.org).\n\
                    Code in `server/src/cli.rs`, not `/api/login`, `application/json`,\n\
                    `target/site` or `pkg/<digest>/`; folders too: `e2e/tests/`.\n\
                    ```\nnot [this](nowhere.md) nor `app/none.rs`\n```\n";
        assert_eq!(
            links_in(text),
            [(1, "docs/operations.md#configuration".to_owned())]
        );
        assert_eq!(
            tree_paths_in(text),
            [
                (2, "server/src/cli.rs".to_owned()),
                (3, "e2e/tests/".to_owned())
            ]
        );
    }

    #[test]
    fn the_real_documents_name_only_what_is_there() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        check(&root).unwrap();
    }
}
