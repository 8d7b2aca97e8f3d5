//! A spec may come from an unreviewed pull request: the files it names
//! are confined to the spec root, only regular files of bounded size are
//! read, and no line of a file that is not a spec is ever quoted. Each
//! refusal below is checked for its exit code, its message, and that no
//! content of the refused file reaches the text or JSON output.

use std::path::{Path, PathBuf};

use crate::common::dcheck;

/// A marker no output may contain.
const MARKER: &str = "MARKER_7f3a9c_SECRET";

/// `dcheck ARGS` with `FAKE_CI_SECRET=MARKER` in the environment: exit
/// code and stdout + stderr.
fn run(args: &[&str]) -> (i32, String) {
    let out = dcheck()
        .args(args)
        .env("FAKE_CI_SECRET", MARKER)
        .output()
        .expect("run dcheck");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().expect("exit code"), text)
}

/// `text` with line breaks and miette's continuation bars as single
/// spaces (messages wrap at the terminal width).
fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Refused with exit 2, saying `why`, quoting nothing of the marker, in
/// `dcheck check` text and JSON and in `dcheck run`.
fn refused(spec: &Path, extra: &[&str], why: &str) {
    let spec = spec.to_str().expect("utf-8 path");
    for cmd in [
        vec!["check", spec],
        vec!["check", spec, "--format", "json"],
        vec!["run", spec],
        vec!["run", spec, "--format", "json"],
    ] {
        let mut args = cmd.clone();
        args.extend_from_slice(extra);
        let (code, text) = run(&args);
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(
            flat(&text).contains(why),
            "{args:?}: expected {why:?} in {text}"
        );
        assert!(!text.contains(MARKER), "{args:?} leaked the marker: {text}");
        assert!(!text.contains("MARKER_"), "{args:?}: {text}");
    }
}

/// A git work tree in a temporary folder: `.git/config` holds a token
/// (the marker), `secrets.txt` beside the specs holds the marker too.
fn work_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    std::fs::write(
        root.join(".git/config"),
        format!("[http]\n\textraheader = AUTHORIZATION: basic {MARKER}\n"),
    )
    .expect("write");
    std::fs::write(root.join("secrets.txt"), format!("TOKEN={MARKER}\n")).expect("write");
    std::fs::create_dir_all(root.join("specs/bugs")).expect("mkdir");
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/2pc.ron"))
        .expect("read 2pc");
    std::fs::write(root.join("specs/2pc.ron"), base).expect("write");
    (dir, root)
}

fn child(root: &Path, name: &str, extends: &str) -> PathBuf {
    let p = root.join("specs").join(name);
    std::fs::write(
        &p,
        format!("(\n    name: \"Child\",\n    extends: \"{extends}\",\n)\n"),
    )
    .expect("write");
    p
}

#[test]
fn extends_outside_the_spec_root_is_refused_without_reading() {
    let (_dir, root) = work_tree();
    let outside = tempfile::tempdir().expect("temp dir");
    let foreign = outside.path().join("base.ron");
    std::fs::write(&foreign, format!("( name: \"{MARKER}\" )")).expect("write");
    // Absolute, relative with `..`, and through a symbolic link.
    let abs = child(&root, "abs.ron", foreign.to_str().expect("utf-8"));
    refused(&abs, &[], "outside the spec root");
    let rel = format!(
        "../../../{}",
        foreign.strip_prefix("/").expect("absolute").display()
    );
    let rel = child(&root, "rel.ron", &rel);
    refused(&rel, &[], "outside the spec root");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&foreign, root.join("specs/link.ron")).expect("symlink");
        let via = child(&root, "via_link.ron", "link.ron");
        refused(&via, &[], "outside the spec root");
    }
    // The message names the spec root.
    let (_, text) = run(&["check", abs.to_str().expect("utf-8")]);
    assert!(
        text.contains(
            &std::fs::canonicalize(&root)
                .expect("canon")
                .display()
                .to_string()
        ),
        "{text}"
    );
    // --spec-root widens it: then the base is read (and is no spec).
    let (code, _) = run(&["check", abs.to_str().expect("utf-8"), "--spec-root", "/"]);
    assert_eq!(code, 2);
}

#[test]
fn the_environment_and_git_config_are_never_quoted() {
    let (_dir, root) = work_tree();
    let environ = child(&root, "environ.ron", "/proc/self/environ");
    refused(&environ, &[], "outside the spec root");
    // Even with the whole file system as the spec root.
    refused(&environ, &["--spec-root", "/"], "system file");
    let git = child(&root, "git.ron", "../.git/config");
    refused(&git, &[], "`.git` directory");
    // Inside the root but not a spec: said so, no line of it shown.
    let secrets = child(&root, "secrets.ron", "../secrets.txt");
    refused(
        &secrets,
        &[],
        "is not a dcheck spec: expected `(` at the start",
    );
    // The same files named on the command line.
    for path in [
        "/proc/self/environ".to_string(),
        root.join("secrets.txt").display().to_string(),
    ] {
        let (code, text) = run(&["check", &path]);
        assert_eq!(code, 2, "{text}");
        assert!(!text.contains(MARKER), "{text}");
    }
}

#[test]
fn only_regular_files_of_bounded_size_are_read() {
    let (_dir, root) = work_tree();
    // A base spec of 2 MiB of comment, refused under a 1 MiB limit (and
    // read under the default 16 MiB: then it is merely a spec without
    // the fields it lacks).
    let big = root.join("specs/big.ron");
    let mut text = String::from("(\n");
    while text.len() < 2 << 20 {
        text.push_str(&format!("// {MARKER} padding padding padding padding\n"));
    }
    text.push_str(")\n");
    std::fs::write(&big, text).expect("write");
    let over = child(&root, "over.ron", "big.ron");
    refused(
        &over,
        &["--max-input-size", "1M"],
        "over the input size limit",
    );
    refused(
        &big,
        &["--max-input-size", "1M"],
        "over the input size limit",
    );
    // A FIFO: refused at once (reading it would wait forever).
    #[cfg(unix)]
    {
        let fifo = root.join("specs/fifo.ron");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let via = child(&root, "via_fifo.ron", "fifo.ron");
        refused(&via, &[], "a FIFO");
        refused(&fifo, &[], "a FIFO");
    }
    // A directory.
    let dir = child(&root, "dir.ron", "bugs");
    refused(&dir, &[], "a directory");
}

#[test]
fn specs_inside_the_root_still_extend_each_other() {
    let (_dir, root) = work_tree();
    // specs/bugs/x.ron extending ../2pc.ron, like the shipped bug variants.
    let bug = root.join("specs/bugs/x.ron");
    std::fs::write(
        &bug,
        "(\n    name: \"X\",\n    extends: \"../2pc.ron\",\n)\n",
    )
    .expect("write");
    let (code, text) = run(&["run", bug.to_str().expect("utf-8"), "--quiet"]);
    assert_eq!(code, 0, "{text}");
    // The shipped bug variants, from the repository root.
    for spec in std::fs::read_dir("specs/bugs").expect("specs/bugs") {
        let spec = spec.expect("entry").path();
        let (code, text) = run(&["run", spec.to_str().expect("utf-8"), "--quiet"]);
        assert_eq!(code, 1, "{text}");
    }
}
